// GET /v1/audit/report through the whole gateway: the same page as `npm run audit:report`, for
// callers with `audit.read` only, with a policy that lets its own script run and nothing else.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { KMS_PATH, callRoute } from './support-audit-trail.ts';

let gw: TestGateway;

before(async () => {
  gw = await startGateway();
  const token = await gw.token('demo-secops');
  await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId: 'report-revoke-1' });
  await callRoute(`${gw.url}${KMS_PATH}`, { token, requestId: 'report-revoke-2' });
  await callRoute(`${gw.url}${KMS_PATH}`, { requestId: 'report-anonymous' });
});
after(() => gw.close());

async function getReport(query: string, token?: string) {
  return fetch(`${gw.url}/v1/audit/report${query}`, {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
}

describe('GET /v1/audit/report', () => {
  it('returns the report of the trail as HTML, with a policy allowing only its own script', async () => {
    const answer = await getReport('', await gw.token('auditor', []));
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const html = await answer.text();
    assert.match(html, /<header id="verdict" class="banner ok"/);
    for (const requestId of ['report-revoke-1', 'report-revoke-2', 'report-anonymous']) {
      assert.ok(html.includes(`<td class="mono">${requestId}</td>`), `${requestId} is listed`);
    }
    assert.match(html, /by auditor \(GET \/v1\/audit\/report\)/);
    const policy = answer.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(script).digest('base64');
    assert.ok(policy.includes(`script-src 'sha256-${hash}'`), policy);
    assert.match(policy, /^default-src 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline/);
  });

  it('keeps to the period asked for', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const answer = await getReport(`?since=${future}`, await gw.token('auditor', []));
    assert.equal(answer.status, 200);
    const html = await answer.text();
    assert.ok(html.includes(`from ${future} to the last record`));
    assert.doesNotMatch(html, /report-revoke-1/);
    assert.match(html, /No revocation requests in this period\./);
  });

  it('refuses callers without audit.read, and bad parameters naming the field', async () => {
    const forbidden = await getReport('', await gw.token('kms-only', []));
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { code: string }).code, 'FORBIDDEN');

    assert.equal((await getReport('')).status, 401);

    const auditor = await gw.token('auditor', []);
    const bad = await getReport('?since=yesterday&colour=red', auditor);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = (await bad.json()) as { code: string; errors: { field: string }[] };
    assert.equal(problem.code, 'INVALID_REQUEST');
    assert.deepEqual(problem.errors.map((error) => error.field).sort(), ['colour', 'since']);

    const reversed = await getReport(
      '?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z',
      auditor,
    );
    assert.equal(reversed.status, 400);
    assert.deepEqual(
      ((await reversed.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
      ['until'],
    );
  });
});
