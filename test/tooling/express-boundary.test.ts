// Only the HTTP edge may import express: `npm run lint` (part of `npm test`) refuses it in every
// other file of src/ — domain modules stay plain TypeScript, unit-testable without HTTP.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function forbidsExpress(file: string): Promise<boolean> {
  const config = (await eslint.calculateConfigForFile(file)) as {
    rules?: Record<string, unknown>;
  };
  const rule = config.rules?.['no-restricted-imports'];
  if (!Array.isArray(rule) || (rule[0] !== 2 && rule[0] !== 'error')) return false;
  return JSON.stringify(rule.slice(1)).includes('"express"');
}

describe('the express import rule', () => {
  for (const file of [
    'src/upstream/create-revoker.ts',
    'src/audit/audit-writer.ts',
    'src/identity/jwt-caller-resolver.ts',
    'src/simulator/start-simulator.ts',
    'src/main.ts',
    'src/some-new-module/anything.ts',
  ]) {
    it(`refuses express in ${file}`, async () => {
      assert.equal(await forbidsExpress(file), true);
    });
  }
  for (const file of ['src/app.ts', 'src/compose.ts', 'src/http/respond.ts']) {
    it(`allows express in ${file}`, async () => {
      assert.equal(await forbidsExpress(file), false);
    });
  }
});
