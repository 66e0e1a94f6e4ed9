// The simulator's own check of SDK-HMAC-SHA256 signatures, as Huawei's API gateway makes it
// before a service sees the call. Written apart from the gateway's signer (src/credentials) and
// sharing no code with it, so that a mistake in one is caught by the other: it works from the
// request as received — raw path, raw query, the headers the Authorization header names.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SimCredentials } from './sim-credentials.ts';
import type { SignatureCheck } from './simulator-types.ts';

/** How far X-Sdk-Date may be from the simulator's clock, as the API gateway allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION =
  /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
// RFC 3986 unreserved bytes stay as they are; every other byte is %XX.
const UNRESERVED_BYTE = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) ||
  (byte >= 0x41 && byte <= 0x5a) ||
  (byte >= 0x61 && byte <= 0x7a) ||
  byte === 0x2d ||
  byte === 0x2e ||
  byte === 0x5f ||
  byte === 0x7e;

export interface ReceivedCall {
  readonly method: string;
  /** The path as received, without the query. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Whether a call carries a signature at all (else it is a token call, or none). */
export function isSigned(headers: IncomingHttpHeaders): boolean {
  return (headers.authorization ?? '').startsWith('SDK-HMAC-SHA256');
}

export function verifySignature(
  call: ReceivedCall,
  keys: SimCredentials,
  now: number,
): SignatureCheck {
  const match = AUTHORIZATION.exec(call.headers.authorization ?? '');
  if (match === null) return failed('', [], 'unknown', 'malformed Authorization header');
  const [, access = '', signedList = '', signature = ''] = match;
  const names = signedList.split(';');
  const key = keys.lookup(access);
  if (key === undefined) return failed(access, names, 'unknown', `ak ${access} not exist`);
  const kind = key.kind;
  for (const required of ['host', 'x-sdk-date']) {
    if (!names.includes(required)) return failed(access, names, kind, `${required} not signed`);
  }
  const date = header(call.headers, 'x-sdk-date');
  const signedAt = parseSdkDate(date);
  if (signedAt === undefined || Math.abs(signedAt - now) > MAX_CLOCK_SKEW_MS) {
    return failed(access, names, kind, 'X-Sdk-Date is missing or too far from now');
  }
  if (kind === 'temporary') {
    if (!names.includes('x-security-token')) {
      return failed(access, names, kind, 'x-security-token not signed');
    }
    if (header(call.headers, 'x-security-token') !== key.securityToken) {
      return failed(access, names, kind, 'security token does not match the key');
    }
    if ((key.expiresAt ?? 0) <= now) return failed(access, names, kind, 'the key has expired');
  }
  const canonical = [
    call.method,
    canonicalUri(call.rawPath),
    canonicalQueryOf(call.rawQuery),
    names.map((name) => `${name}:${header(call.headers, name)}\n`).join(''),
    signedList,
    payloadHash(call),
  ].join('\n');
  const toSign = `SDK-HMAC-SHA256\n${date}\n${hex(canonical)}`;
  const expected = createHmac('sha256', key.secret).update(toSign, 'utf8').digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return failed(access, names, kind, 'verify aksk signature fail');
  }
  return { verified: true, access, keyKind: kind, signedHeaders: names };
}

function failed(
  access: string,
  names: string[],
  keyKind: SignatureCheck['keyKind'],
  reason: string,
): SignatureCheck {
  return { verified: false, access, keyKind, signedHeaders: names, reason };
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function parseSdkDate(text: string): number | undefined {
  const m = SDK_DATE.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
}

function encodeBytes(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += UNRESERVED_BYTE(byte)
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Each received segment decoded, then encoded again; a trailing slash added once. */
function canonicalUri(rawPath: string): string {
  const uri = rawPath
    .split('/')
    .map((segment) => encodeBytes(decodeLenient(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Pairs decoded as a form decodes them, sorted by name then value, encoded again. */
function canonicalQueryOf(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      return [decodeLenient(name.replaceAll('+', ' ')), decodeLenient(value.replaceAll('+', ' '))];
    });
  pairs.sort(([an = '', av = ''], [bn = '', bv = '']) =>
    an === bn ? (av < bv ? -1 : av > bv ? 1 : 0) : an < bn ? -1 : 1,
  );
  return pairs
    .map(([name = '', value = '']) => `${encodeBytes(name)}=${encodeBytes(value)}`)
    .join('&');
}

function payloadHash(call: ReceivedCall): string {
  const declared = header(call.headers, 'x-sdk-content-sha256');
  if (declared === 'UNSIGNED-PAYLOAD') return declared;
  return hex(call.body);
}

function hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
