// The 60-line check, run by `npm test`: no function in src/ has an own body longer than 60
// lines (the counting rule is in scripts/function-length.ts). Functions not yet split are listed
// with their current length in scripts/function-length-allowlist.json; they may shrink but not
// grow, and an entry that is no longer needed fails the check until it is removed.
import { globSync, readFileSync } from 'node:fs';
import { checkFunctionLengths, MAX_OWN_LINES, type AllowList } from './function-length.ts';

const ALLOW_LIST = 'scripts/function-length-allowlist.json';

const files = globSync('src/**/*.ts')
  .sort()
  .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
const allowList = JSON.parse(readFileSync(ALLOW_LIST, 'utf8')) as AllowList;
const problems = checkFunctionLengths(files, allowList);

if (problems.length > 0) {
  console.error(`Functions must keep their own body within ${MAX_OWN_LINES} lines:`);
  for (const problem of problems) console.error(`  ${problem}`);
  console.error(`Split them into named parts (allow-list: ${ALLOW_LIST}).`);
  process.exit(1);
}
console.log(`function length: ${files.length} files, every function within ${MAX_OWN_LINES} lines`);
