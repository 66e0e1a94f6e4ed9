// "did you mean `attemptTimeoutMs`?": the known key nearest to a misspelt one, by edit distance
// (letter case ignored), when it is near enough to be a typo rather than another word.

/** The known name nearest to `name`, or undefined when none is plausibly what was meant. */
export function nearestKey(name: string, known: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(wanted, key.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key, distance };
  }
  // A third of the longer name, at least two edits: `hots` → `host`, `attemptTimeotMs` →
  // `attemptTimeoutMs`, but `colour` suggests nothing among `host` and `port`.
  const allowed = Math.max(2, Math.floor(Math.max(name.length, best?.key.length ?? 0) / 3));
  return best !== undefined && best.distance <= allowed ? best.key : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.length, b.length);
}
