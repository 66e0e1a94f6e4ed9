// A small seeded pseudo-random generator (mulberry32) for property tests: the same seed gives
// the same cases, so a failure can be replayed.

export interface Random {
  /** [0, 1) */
  next(): number;
  /** An integer from min to max, both included. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[] | string): T;
  /** min..max characters drawn from `alphabet` (by code point). */
  text(alphabet: string, min: number, max: number): string;
  hex(length: number): string;
  array<T>(min: number, max: number, make: () => T): T[];
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[] | string): T => {
    const list = (typeof items === 'string' ? Array.from(items) : items) as readonly T[];
    const item = list[int(0, list.length - 1)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  };
  const array = <T>(min: number, max: number, make: () => T): T[] =>
    Array.from({ length: int(min, max) }, make);
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick,
    text: (alphabet, min, max) => array(min, max, () => pick<string>(alphabet)).join(''),
    hex: (length) => array(length, length, () => pick<string>('0123456789abcdef')).join(''),
    array,
  };
}
