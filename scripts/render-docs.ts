// `npm run docs`: rewrite the generated tables of the README and docs/api.md from the catalogs.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderApiTables } from '../src/docs/api-tables.ts';
import { renderReadmeTables } from '../src/docs/readme-tables.ts';

const DOCUMENTS: readonly [string, (text: string) => string][] = [
  ['README.md', renderReadmeTables],
  ['docs/api.md', renderApiTables],
];

for (const [file, render] of DOCUMENTS) {
  const before = readFileSync(file, 'utf8');
  const after = render(before);
  writeFileSync(file, after);
  console.log(before === after ? `${file}: tables already current` : `${file}: tables updated`);
}
