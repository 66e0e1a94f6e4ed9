// SDK-HMAC-SHA256, the access-key signature of Huawei Cloud's APIs, exactly as the official SDKs
// compute it (docs/credentials.md "Signing"). Pure: the caller supplies the time, the key and
// the request; nothing here reads a clock, a file or the network.

import { createHash, createHmac } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

/** sha256 of zero bytes: the body hash of a call without a body. */
export const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SigningKey {
  /** The access key id (AK): public, it travels in the Authorization header. */
  readonly accessKey: string;
  /** The secret key (SK): never sent, never logged. */
  readonly secretKey: string;
  /** Temporary keys only: sent and signed as X-Security-Token. */
  readonly securityToken?: string;
}

export interface RequestToSign {
  readonly method: string;
  /** `host[:port]` as the Host header carries it (no default port). */
  readonly host: string;
  /** The path as sent, without the query. */
  readonly path: string;
  /** Query parameters; a repeated one as an array. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  /** Every header to sign besides Host, X-Sdk-Date and X-Security-Token (names in any case). */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes; undefined or empty for none. */
  readonly body?: Buffer | string;
  /** Epoch ms of signing; becomes X-Sdk-Date. */
  readonly time: number;
}

export interface SignedHeaders {
  /** Lower-case names: the headers to send, Authorization included. */
  readonly headers: Readonly<Record<string, string>>;
  /** For tests and diagnostics only: holds no secret, but is not meant for logs either. */
  readonly canonicalRequest: string;
}

/** `YYYYMMDDTHHmmssZ` in UTC, the X-Sdk-Date format. */
export function formatSdkDate(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters (A–Z a–z 0–9 - . _ ~), UTF-8,
 * upper-case hex: what the SDKs apply to each path segment, query name and query value.
 */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Each segment encoded, and a `/` appended when the path does not end with one. */
export function canonicalPath(path: string): string {
  const encoded = path.split('/').map(encodeRfc3986).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Names sorted by their UTF-16 code units, as given; a repeated name's values sorted too. */
export function canonicalQuery(query: RequestToSign['query']): string {
  if (query === undefined) return '';
  const pairs: string[] = [];
  for (const name of Object.keys(query).sort(compareCodeUnits)) {
    const value = query[name] ?? '';
    const values = typeof value === 'string' ? [value] : [...value].sort(compareCodeUnits);
    for (const item of values) pairs.push(`${encodeRfc3986(name)}=${encodeRfc3986(item)}`);
  }
  return pairs.join('&');
}

/** The headers that get signed, the Authorization header, and the canonical request. */
export function signRequest(request: RequestToSign, key: SigningKey): SignedHeaders {
  const date = formatSdkDate(request.time);
  const signed = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers))
    signed.set(name.toLowerCase(), value);
  signed.set('host', request.host);
  signed.set('x-sdk-date', date);
  if (key.securityToken !== undefined) signed.set('x-security-token', key.securityToken);

  const names = [...signed.keys()].sort(compareCodeUnits);
  const signedNames = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    names.map((name) => `${name}:${signed.get(name) ?? ''}\n`).join(''),
    signedNames,
    sha256Hex(request.body ?? ''),
  ].join('\n');
  const stringToSign = [SIGNING_ALGORITHM, date, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', key.secretKey).update(stringToSign).digest('hex');
  const headers = Object.fromEntries(signed);
  headers.authorization = `${SIGNING_ALGORITHM} Access=${key.accessKey}, SignedHeaders=${signedNames}, Signature=${signature}`;
  return { headers, canonicalRequest };
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
