// The test launcher. A bare `node --test <glob>` that matches nothing, or whose tests are all
// skipped, exits 0; this one refuses both. It takes an optional list of path prefixes to run a
// subset (`npm run test:only -- test/unit`).
import { globSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const prefixes = process.argv.slice(2);
const files = globSync('test/**/*.test.ts')
  .filter((file) => prefixes.length === 0 || prefixes.some((prefix) => file.startsWith(prefix)))
  .sort();

if (files.length === 0) {
  console.error(
    `no test files matched ${prefixes.length ? prefixes.join(', ') : 'test/**/*.test.ts'}`,
  );
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedNames: string[] = [];

const stream = run({
  files,
  concurrency: Math.max(2, availableParallelism()),
  timeout: 120_000,
});

stream.on('test:pass', (event) => {
  if (event.details.type === 'suite') return;
  if (event.skip !== undefined || event.todo !== undefined) {
    skipped += 1;
    skippedNames.push(`${event.file ?? ''}: ${event.name}`);
  } else if (event.nesting > 0 || event.file !== undefined) {
    passed += 1;
  }
});
stream.on('test:fail', (event) => {
  if (event.details.type === 'suite') return;
  failed += 1;
});

stream.compose(spec).pipe(process.stdout);

stream.on('end', () => {
  // A skipped or todo test is a promise not kept; the suite does not allow them.
  for (const name of skippedNames) console.error(`skipped: ${name}`);
  const ok = failed === 0 && skipped === 0 && passed > 0;
  if (passed === 0) console.error('no test ran');
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = ok ? 0 : 1;
});
