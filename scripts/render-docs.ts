// `npm run docs`: rewrite the README's generated tables from the catalogs.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReadmeTables } from '../src/docs/readme-tables.ts';

const before = readFileSync('README.md', 'utf8');
const after = renderReadmeTables(before);
writeFileSync('README.md', after);
console.log(before === after ? 'README tables already current' : 'README tables updated');
