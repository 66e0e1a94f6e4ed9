// `npm run audit:export`: every record of the configured audit store as NDJSON on stdout, in
// (chain, seq) order, each line the record's canonical JSON exactly as stored and hashed — the
// input `npm run audit:verify -- --file` expects. Streams in constant memory. Exit 2 when the
// store cannot be read.

import { ConfigError } from '../../config/config-error.ts';
import { loadAuditConfig } from '../../config/load-config.ts';
import { scanStore } from '../audit-reader.ts';
import { storeProgress } from './audit-progress.ts';
import { openAuditStore } from '../stores/open-audit-store.ts';

async function main(): Promise<number> {
  if (process.argv.length > 2) {
    console.error('usage: npm run audit:export > audit.ndjson  (configured as for npm start)');
    return 2;
  }
  let store;
  try {
    store = await openAuditStore(loadAuditConfig(process.env), { readOnly: true });
  } catch (error) {
    const message = error instanceof ConfigError || error instanceof Error ? error.message : '';
    console.error(`audit:export: ${message || 'the audit store cannot be opened'}`);
    return 2;
  }
  const output = { open: true };
  // `audit:export | head` closes stdout early: stop reading, not an error.
  process.stdout.on('error', () => {
    output.open = false;
  });
  try {
    for await (const record of storeProgress('audit:export', store, scanStore(store))) {
      if (!output.open) break;
      if (!process.stdout.write(`${record.body}\n`)) await drained();
    }
    return 0;
  } catch (error) {
    console.error(`audit:export: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    await store.close();
  }
}

function drained(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      resolve();
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
  });
}

process.exitCode = await main();
