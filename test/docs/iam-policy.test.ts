// deploy/iam-policy.json (docs/credentials.md "Least-privilege policy") allows exactly one action
// per cloud operation of the catalog and nothing else, and the docs page names each of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPERATION_NAMES, type OperationName } from '../../src/operations/catalog.ts';
import { FIXTURE_OPERATIONS, OPERATION_FIXTURES } from '../fixtures/operations.ts';

/** The action each operation's cloud call needs (the sources are in docs/credentials.md). */
const ACTIONS: Readonly<Record<OperationName, string>> = Object.fromEntries(
  FIXTURE_OPERATIONS.map((name) => [name, OPERATION_FIXTURES[name].iamAction]),
) as Record<OperationName, string>;

interface Policy {
  Version: string;
  Statement: { Effect: string; Action: string[]; Resource?: unknown }[];
}

test('the IAM policy allows exactly the actions of the catalog operations, and the docs name them', () => {
  assert.deepEqual(Object.keys(ACTIONS).sort(), [...OPERATION_NAMES].sort());
  const policy = JSON.parse(readFileSync('deploy/iam-policy.json', 'utf8')) as Policy;
  assert.equal(policy.Version, '1.1');
  assert.ok(policy.Statement.every((statement) => statement.Effect === 'Allow'));
  const allowed = policy.Statement.flatMap((statement) => statement.Action);
  assert.deepEqual([...new Set(allowed)].sort(), [...new Set(Object.values(ACTIONS))].sort());
  assert.ok(!allowed.some((action) => action.includes('*')), 'no wildcard');
  const page = readFileSync('docs/credentials.md', 'utf8');
  for (const action of allowed) assert.ok(page.includes(`\`${action}\``), `${action} documented`);
});
