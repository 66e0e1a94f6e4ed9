// Shared by the documentation tests: a page's generated tables kept equal to their catalogs, and
// the patterns that find what a page must not hold checked against examples.

import assert from 'node:assert/strict';
import { it } from 'node:test';

/** A table `npm run docs` writes into a page from a catalog. */
export interface GeneratedTable {
  readonly name: string;
  render(): string;
}

/**
 * Registers the tests that `page` holds every table of `tables` as the catalogs render it now,
 * and that `regenerate` (what `npm run docs` does to the page) changes nothing.
 */
export function itHoldsGeneratedTables(
  page: string,
  tables: readonly GeneratedTable[],
  regenerate: (page: string) => string,
): void {
  for (const table of tables) {
    it(`holds the current ${table.name} table (run npm run docs after changing a catalog)`, () => {
      assert.ok(page.includes(table.render()), `${table.name} table differs from the catalog`);
    });
  }

  it('is unchanged by regenerating its tables', () => {
    assert.equal(regenerate(page), page);
  });
}

/** `pattern` finds each line of `found` and none of `passed`. */
export function assertFinds(
  pattern: RegExp,
  examples: { readonly found: readonly string[]; readonly passed: readonly string[] },
): void {
  for (const line of examples.found) assert.match(line, pattern);
  for (const line of examples.passed) assert.doesNotMatch(line, pattern);
}
