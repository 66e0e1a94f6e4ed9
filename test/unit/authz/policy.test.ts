import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPolicy, grants, type PolicyRule } from '../../../src/authz/policy.ts';
import type { Caller } from '../../../src/identity/caller.ts';
import { PERMISSIONS } from '../../../src/operations/catalog.ts';

function caller(subject: string, groups: string[] = []): Caller {
  return { subject, groups, via: 'jwt' };
}

function rule(partial: Partial<PolicyRule> & Pick<PolicyRule, 'allow'>): PolicyRule {
  return { subjects: [], groups: [], ...partial };
}

const RULES: PolicyRule[] = [
  rule({ groups: ['secops'], allow: ['*'] }),
  rule({ subjects: ['svc-cert-rotator'], allow: ['scm.*', 'apig.deleteCertificate'] }),
  rule({ subjects: ['ml-bot'], allow: ['modelarts.deleteAuthorization'] }),
  rule({ groups: ['ml-admins'], allow: ['modelarts.*'] }),
  rule({ subjects: ['auditor'], allow: ['audit.read'] }),
  rule({ groups: ['kms-ops'], subjects: ['kim'], allow: ['kms.revokeGrant'] }),
];

describe('createPolicy: default deny, rules grant to subjects or groups', () => {
  const policy = createPolicy(RULES);
  const cases: readonly [who: Caller, permission: string, allowed: boolean][] = [
    // `*` grants everything, the audit API included.
    [caller('alice', ['secops']), 'kms.revokeGrant', true],
    [caller('alice', ['secops']), 'modelarts.deleteAllAuthorizations', true],
    [caller('alice', ['secops']), 'audit.read', true],
    // Subject rules with a prefix and an exact name.
    [caller('svc-cert-rotator'), 'scm.revokePrivacy', true],
    [caller('svc-cert-rotator'), 'scm.deleteCsr', true],
    [caller('svc-cert-rotator'), 'apig.deleteCertificate', true],
    [caller('svc-cert-rotator'), 'kms.revokeGrant', false],
    [caller('svc-cert-rotator'), 'audit.read', false],
    // Deleting one user's authorization never implies deleting everyone's.
    [caller('ml-bot'), 'modelarts.deleteAuthorization', true],
    [caller('ml-bot'), 'modelarts.deleteAllAuthorizations', false],
    // `modelarts.*` is every ModelArts operation, mass revocation included.
    [caller('mia', ['ml-admins']), 'modelarts.deleteAuthorization', true],
    [caller('mia', ['ml-admins']), 'modelarts.deleteAllAuthorizations', true],
    [caller('mia', ['ml-admins']), 'kms.revokeGrant', false],
    // audit.read only where granted.
    [caller('auditor'), 'audit.read', true],
    [caller('auditor'), 'scm.deleteCsr', false],
    // A rule naming both subjects and groups matches either.
    [caller('kim'), 'kms.revokeGrant', true],
    [caller('kai', ['kms-ops']), 'kms.revokeGrant', true],
    // Subjects and groups are separate namespaces.
    [caller('secops'), 'kms.revokeGrant', false],
    [caller('eve', ['svc-cert-rotator']), 'scm.deleteCsr', false],
    // Names match exactly.
    [caller('alice', ['SecOps']), 'kms.revokeGrant', false],
    [caller('alice', ['secops ']), 'kms.revokeGrant', false],
    [caller('Auditor'), 'audit.read', false],
    // Nobody named: nothing allowed.
    [caller('stranger', ['visitors']), 'scm.deleteCsr', false],
    [caller('stranger'), 'audit.read', false],
  ];
  for (const [who, permission, allowed] of cases) {
    test(`${who.subject} [${who.groups.join(',')}] ${allowed ? 'may' : 'may not'} ${permission}`, () => {
      assert.equal(policy.allows(who, permission), allowed);
    });
  }

  test('no rules: nothing is allowed to anyone', () => {
    const empty = createPolicy([]);
    for (const permission of PERMISSIONS) {
      assert.equal(empty.allows(caller('root', ['secops', 'admins']), permission), false);
    }
  });

  test('rules are copied: changing the input later grants nothing', () => {
    const input = [{ subjects: ['bob'], groups: [] as string[], allow: ['scm.deleteCsr'] }];
    const policy = createPolicy(input);
    input[0]?.allow.push('*');
    input[0]?.groups.push('everyone');
    assert.equal(policy.allows(caller('bob'), 'kms.revokeGrant'), false);
    assert.equal(policy.allows(caller('x', ['everyone']), 'scm.deleteCsr'), false);
  });
});

describe('grants', () => {
  const cases: readonly [grant: string, permission: string, granted: boolean][] = [
    ['*', 'scm.deleteCsr', true],
    ['*', 'audit.read', true],
    ['scm.*', 'scm.deleteCsr', true],
    ['scm.*', 'scm.revokePrivacy', true],
    ['scm.*', 'scmx.deleteCsr', false],
    ['scm.*', 'apig.deleteCertificate', false],
    ['scm.*', 'audit.read', false],
    ['audit.*', 'audit.read', true],
    ['modelarts.*', 'modelarts.deleteAllAuthorizations', true],
    ['modelarts.deleteAuthorization', 'modelarts.deleteAllAuthorizations', false],
    ['modelarts.deleteAllAuthorizations', 'modelarts.deleteAuthorization', false],
    ['kms.revokeGrant', 'kms.revokeGrant', true],
    ['kms.revokeGrant', 'kms.revokeGrant2', false],
    ['kms.revokeGrant', 'kms.revokegrant', false],
    ['kms', 'kms.revokeGrant', false],
  ];
  for (const [grant, permission, granted] of cases) {
    test(`"${grant}" ${granted ? 'grants' : 'does not grant'} ${permission}`, () => {
      assert.equal(grants(grant, permission), granted);
    });
  }
});

describe('createPolicy: a rule limited to projects', () => {
  const policy = createPolicy([
    rule({ subjects: ['ml-eu'], allow: ['modelarts.deleteAuthorization'], projects: ['eu'] }),
    rule({ subjects: ['everywhere'], allow: ['kms.revokeGrant'] }),
  ]);

  test('holds only for the projects it names', () => {
    assert.equal(policy.allows(caller('ml-eu'), 'modelarts.deleteAuthorization', 'eu'), true);
    assert.equal(policy.allows(caller('ml-eu'), 'modelarts.deleteAuthorization', 'default'), false);
    assert.equal(policy.allows(caller('ml-eu'), 'modelarts.deleteAuthorization'), false);
  });

  test('a rule without projects holds in every project', () => {
    for (const project of ['eu', 'default', undefined]) {
      assert.equal(policy.allows(caller('everywhere'), 'kms.revokeGrant', project), true);
    }
  });
});
