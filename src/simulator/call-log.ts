// The record of calls, as a fixed-size ring: recording is O(1) and memory stays bounded under
// a benchmark; beyond the limit the oldest calls are dropped. A call is recorded when it
// arrives (so a hung call is visible at once) and its status is filled in when answered.
import { SIM_SERVICES } from './simulator-types.ts';
import type { RecordedCall, SimService } from './simulator-types.ts';

export const DEFAULT_CALL_LOG_LIMIT = 100_000;

const zeroCounts = (): Record<SimService, number> =>
  Object.fromEntries(SIM_SERVICES.map((s) => [s, 0])) as Record<SimService, number>;

export class CallLog {
  readonly #ring: (RecordedCall | undefined)[];
  #start = 0;
  #size = 0;
  #seq = 0;
  #counts = zeroCounts();

  constructor(limit: number = DEFAULT_CALL_LOG_LIMIT) {
    this.#ring = new Array<RecordedCall | undefined>(limit);
  }

  /** Appends a call and returns the live record, whose status the server sets later. */
  record(call: Omit<RecordedCall, 'seq'>): RecordedCall {
    this.#seq += 1;
    const recorded: RecordedCall = { seq: this.#seq, ...call };
    const limit = this.#ring.length;
    if (this.#size < limit) {
      this.#ring[(this.#start + this.#size) % limit] = recorded;
      this.#size += 1;
    } else {
      this.#ring[this.#start] = recorded;
      this.#start = (this.#start + 1) % limit;
    }
    this.#counts[call.service] += 1;
    return recorded;
  }

  /** Oldest first; copies, so later status updates do not change what a caller holds. */
  list(filter?: { service?: SimService; afterSeq?: number }): RecordedCall[] {
    const out: RecordedCall[] = [];
    const limit = this.#ring.length;
    for (let i = 0; i < this.#size; i += 1) {
      const call = this.#ring[(this.#start + i) % limit];
      if (call === undefined) continue;
      if (filter?.service !== undefined && call.service !== filter.service) continue;
      if (filter?.afterSeq !== undefined && call.seq <= filter.afterSeq) continue;
      out.push({ ...call });
    }
    return out;
  }

  /** Forgets recorded calls and per-service counts; seq keeps counting. */
  clear(): void {
    this.#ring.fill(undefined);
    this.#start = 0;
    this.#size = 0;
    this.#counts = zeroCounts();
  }

  get size(): number {
    return this.#size;
  }

  /** Calls per service since start or the last clear, including calls the ring dropped. */
  counts(): Record<SimService, number> {
    return { ...this.#counts };
  }
}
