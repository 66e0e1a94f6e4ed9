// Request ids are echoed to callers, logged, audited and sent on to IAM and the cloud, so only
// opaque, short, printable tokens are kept. Each source has its own rule (kept as it was when
// the three checks lived beside their callers), named here so they stay side by side.

const MAX_REQUEST_ID_LENGTH = 128;

const RULES = {
  /** A caller's `X-Request-Id`: starts with a letter or digit; no separators that could forge log lines or headers. */
  caller: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
  /** An id sent to or read from IAM: letters, digits and `._:-`. */
  iam: /^[A-Za-z0-9._:-]{1,128}$/,
  /** A cloud service's id (header or body), trimmed: any visible ASCII, no spaces. */
  cloud: /^[\x21-\x7e]{1,128}$/,
} as const satisfies Record<string, RegExp>;

export type RequestIdSource = keyof typeof RULES;

/** The request id if it is safe for `source`'s rule, else undefined. A cloud's id is trimmed first. */
export function safeRequestId(value: unknown, source: RequestIdSource): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = source === 'cloud' ? value.trim() : value;
  return id.length <= MAX_REQUEST_ID_LENGTH && RULES[source].test(id) ? id : undefined;
}
