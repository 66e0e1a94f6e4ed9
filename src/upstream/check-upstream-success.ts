import type { SuccessRule } from '../operations/catalog.ts';
import type { UpstreamResponse } from './upstream-answer.ts';

/**
 * Checks a 2xx answer against the operation's documented success (docs/upstream.md "Success": "a
 * 2xx whose body contradicts the documented success is not a success"). Returns why it is not a
 * success, or undefined when it is.
 *
 * Any 2xx status is a candidate, not only the seed's (204 for SCM CSRs and APIG, 200 for the
 * rest): a 200 where 204 is documented still means the deletion was performed, and reporting
 * a revocation that happened as failed is the worse mistake for an audited gateway. What the
 * status cannot tell — ModelArts' `"result":"false"`, SCM's `"message"` other than "success",
 * an HTML page where KMS promises JSON or nothing — the body rule decides.
 */
export function checkUpstreamSuccess(
  rule: SuccessRule,
  response: UpstreamResponse,
): string | undefined {
  if (response.status < 200 || response.status > 299) return 'the status is not a success';
  if (rule.body === 'none') return undefined;
  if (response.truncated) return 'the body is longer than a success body can be';
  const text = response.body.toString('utf8').trim();
  if (rule.body === 'json-or-empty' && text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'the body is not the JSON its documentation promises';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'the body is not the JSON object its documentation promises';
  }
  return rule.check?.(json as Record<string, unknown>);
}
