// The one mechanism that keeps secrets out of text the gateway did not write itself: a cloud's
// error message, a driver's error, a log line (README "Cloud credentials": passwords, tokens and
// keys never reach a response, a log or the audit trail). Text that comes back from elsewhere
// rarely quotes a secret whole: it is cut short (messages are capped), base64-encoded (a Basic
// header, a decoded request echoed back) or percent-encoded (a connection string, a form body).
// So every form of every secret is cut into windows of `minShared` characters, and any run of
// the text that covers one of those windows is replaced: sharing that many characters with a
// secret is never a coincidence for a password (8) and even less for a token (16).

export const REDACTED = '[REDACTED]';

/** Runs of this many characters shared with a password or key count as quoting it. */
export const MIN_SHARED_SECRET = 8;

export interface SecretSpec {
  readonly value: string;
  /** Shortest shared run that is redacted; Infinity: only the whole value. Default 8. */
  readonly minShared?: number;
  /** Also look for its base64 and percent-encoded forms. Default true. */
  readonly encodings?: boolean;
}

export type Secret = string | SecretSpec;

/** An IAM token is long and random: 16 shared characters (96 bits), in the form it was sent. */
export const TOKEN_MIN_SHARED = 16;

/** How a token is matched. */
export function tokenSecret(token: string): Secret {
  return { value: token, minShared: TOKEN_MIN_SHARED, encodings: false };
}

/**
 * What one secret is matched by: its windows, and its whole forms (for short secrets). The
 * windows are also kept as rolling hashes, so that walking a text costs one number per
 * position and no string, and only a hash that matches is checked against the windows.
 */
interface Matcher {
  readonly minShared: number;
  readonly windows: ReadonlySet<string>;
  readonly hashes: ReadonlySet<number>;
  readonly whole: readonly string[];
}

export interface SecretRedactor {
  /** `text` with every part of every secret it quotes, in any form, replaced by REDACTED. */
  redact(text: string): string;
  /** Whether `text` quotes any part of any secret. */
  quotes(text: string): boolean;
}

/** A redactor for `secrets` (empty values are ignored). Build once, use for every text. */
export function createSecretRedactor(secrets: readonly Secret[]): SecretRedactor {
  const matchers = mergeMatchers(
    secrets
      .map(toSpec)
      .filter((spec) => spec.value !== '')
      .map(matcherOf),
  );
  return {
    redact: (text) => redactWith(text, matchers),
    quotes: (text) => redactWith(text, matchers) !== text,
  };
}

/** One-off use with secrets that change (a token); matchers are cached per secret. */
export function redactText(text: string, secrets: readonly Secret[]): string {
  if (text === '') return text;
  return redactWith(
    text,
    secrets
      .map(toSpec)
      .filter((spec) => spec.value !== '')
      .map(cachedMatcherOf),
  );
}

/**
 * One matcher per window size: a log line's every string is checked, so the text is walked once
 * per size, not once per secret.
 */
function mergeMatchers(matchers: readonly Matcher[]): Matcher[] {
  const bySize = new Map<number, { windows: Set<string>; hashes: Set<number>; whole: string[] }>();
  for (const matcher of matchers) {
    let merged = bySize.get(matcher.minShared);
    if (merged === undefined) {
      merged = { windows: new Set(), hashes: new Set(), whole: [] };
      bySize.set(matcher.minShared, merged);
    }
    for (const window of matcher.windows) merged.windows.add(window);
    for (const hash of matcher.hashes) merged.hashes.add(hash);
    merged.whole.push(...matcher.whole);
  }
  return [...bySize].map(([minShared, merged]) => ({ minShared, ...merged }));
}

function toSpec(secret: Secret): Required<SecretSpec> {
  const spec = typeof secret === 'string' ? { value: secret } : secret;
  return {
    value: spec.value,
    minShared: spec.minShared ?? MIN_SHARED_SECRET,
    encodings: spec.encodings ?? true,
  };
}

function redactWith(text: string, matchers: readonly Matcher[]): string {
  if (matchers.length === 0 || text === '') return text;
  let covered: Uint8Array | undefined;
  for (const matcher of matchers) covered = markWindows(text, matcher, covered);
  let result = covered === undefined ? text : replaceCovered(text, covered);
  for (const matcher of matchers) {
    for (const form of matcher.whole) {
      if (result.includes(form)) result = result.replaceAll(form, REDACTED);
    }
  }
  return result;
}

/**
 * Marks every character of `text` inside a window the secret shares, in `covered` (made at the
 * first match, so that a text without one allocates nothing); returns it.
 */
function markWindows(
  text: string,
  matcher: Matcher,
  covered: Uint8Array | undefined,
): Uint8Array | undefined {
  const size = matcher.minShared;
  if (matcher.windows.size === 0 || text.length < size) return covered;
  const lead = leadingPower(size);
  let hash = windowHash(text, 0, size);
  for (let at = 0; ; at += 1) {
    if (matcher.hashes.has(hash) && matcher.windows.has(text.slice(at, at + size))) {
      covered ??= new Uint8Array(text.length);
      covered.fill(1, at, at + size);
    }
    if (at + size >= text.length) return covered;
    hash = rollHash(hash, text.charCodeAt(at), text.charCodeAt(at + size), lead);
  }
}

// A polynomial rolling hash over UTF-16 code units, modulo 2^32.
const BASE = 0x01000193;

function windowHash(text: string, from: number, size: number): number {
  let hash = 0;
  for (let i = from; i < from + size; i += 1)
    hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) >>> 0;
  return hash;
}

/** BASE^(size-1): the weight of the character that leaves the window. */
function leadingPower(size: number): number {
  let power = 1;
  for (let i = 1; i < size; i += 1) power = Math.imul(power, BASE) >>> 0;
  return power;
}

function rollHash(hash: number, leaving: number, entering: number, lead: number): number {
  return (Math.imul((hash - Math.imul(leaving, lead)) >>> 0, BASE) + entering) >>> 0;
}

function replaceCovered(text: string, covered: Uint8Array): string {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const start = at;
    while (at < text.length && covered[at] === 0) at += 1;
    out += text.slice(start, at);
    if (at === text.length) break;
    while (at < text.length && covered[at] === 1) at += 1;
    out += REDACTED;
  }
  return out;
}

function matcherOf(spec: Required<SecretSpec>): Matcher {
  const forms = spec.encodings ? formsOf(spec.value) : [spec.value];
  const windows = new Set<string>();
  const hashes = new Set<number>();
  const whole: string[] = [];
  for (const form of forms) {
    if (form.length < spec.minShared) {
      // A short secret is matched whole; a short encoding of one only when it is not so short
      // that ordinary text would contain it by chance.
      if (form === spec.value || form.length >= MIN_SHARED_SECRET) whole.push(form);
      continue;
    }
    for (let at = 0; at + spec.minShared <= form.length; at += 1) {
      windows.add(form.slice(at, at + spec.minShared));
      hashes.add(windowHash(form, at, spec.minShared));
    }
  }
  return { minShared: spec.minShared, windows, hashes, whole };
}

/**
 * The secret as it may appear in text: itself, percent-encoded (upper and lower hex, and as a
 * form value), and base64 (standard and URL-safe) at each of the three byte alignments it can
 * have inside a longer encoded value, keeping only the characters that depend on it alone.
 */
export function formsOf(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const percent = encodeURIComponent(secret);
  forms.add(percent);
  forms.add(percent.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const first = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(first, end);
    forms.add(core);
    forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  forms.delete('');
  return [...forms];
}

/**
 * Matchers of the secrets seen most recently: a gateway holds one token per scope at a time, and
 * cutting a ~9 KB token into windows on every answer was a measurable share of a revocation's
 * CPU. A few dozen are kept.
 */
const CACHED = 32;
/**
 * Keyed by the secret itself, then by how it is matched: looking up the same token string again
 * reuses its hash, where a key built around it would copy and hash ~9 KB on every answer.
 */
const cache = new Map<string, Map<string, Matcher>>();

function cachedMatcherOf(spec: Required<SecretSpec>): Matcher {
  const how = `${String(spec.minShared)}:${String(spec.encodings)}`;
  let bySpec = cache.get(spec.value);
  const known = bySpec?.get(how);
  if (known !== undefined) return known;
  if (bySpec === undefined) {
    if (cache.size >= CACHED) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    bySpec = new Map();
    cache.set(spec.value, bySpec);
  }
  const built = matcherOf(spec);
  bySpec.set(how, built);
  return built;
}
