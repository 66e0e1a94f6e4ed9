// The one reader of an error body, for IAM and every service alike, reading it the way Huawei's
// SDK cores (Python, Java, Go) do (docs/upstream.md "Error bodies"):
//   1. a top-level `error_code`/`error_msg` pair (or its camelCase `errorCode`/`errorMsg`);
//   2. else a top-level `code`/`message` pair;
//   3. else the first object-valued member holding either pair, under any key and at any
//      depth, breadth-first: `{"error":{…}}`, `{"itemNotFound":{"code":404,…}}`,
//      `{"error":{"detail":{"error_code":…}}}`.
// A numeric code becomes its decimal string. `encoded_authorization_message` is taken from any
// depth. When no pair is found anywhere, single fields the SDKs ignore still count, so the
// gateway never reads less than they do: a lone `error_code`, OAuth's `{"error":"…",
// "error_description":"…"}`, `errorMessage`.

import { boundLength, scrubText } from '../text/scrub-text.ts';

export interface ErrorEnvelope {
  readonly code?: string;
  /**
   * Control characters flattened; not shortened, so that a caller can find a secret the cloud
   * quoted back whole before it caps the message.
   */
  readonly message?: string;
  /** The body's `request_id` (unchecked: callers decide whether it is safe to echo). */
  readonly requestId?: string;
  readonly encodedAuthorizationMessage?: string;
}

type Json = Record<string, unknown>;

const PAIRS = [
  ['error_code', 'error_msg'],
  ['errorCode', 'errorMsg'],
  ['code', 'message'],
] as const;
const MAX_CODE_CHARS = 64;
const MAX_ENCODED_AUTHORIZATION_CHARS = 4096;
// A 64 KiB body cannot nest deeper than this meaningfully; the walk stays bounded whatever comes.
const MAX_OBJECTS_VISITED = 512;

export function readErrorEnvelope(json: Json): ErrorEnvelope {
  const objects = breadthFirstObjects(json);
  let found: { code?: string; message?: string; holder: Json } | undefined;
  for (const object of objects) {
    found = pairIn(object);
    if (found !== undefined) break;
  }
  const fields = found ?? singleFields(json);
  const requestId =
    textOf(json.request_id) ?? textOf(json.requestId) ?? textOf(found?.holder.request_id);
  const encoded = objects
    .map((object) => object.encoded_authorization_message)
    .find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return {
    ...(fields.code === undefined ? {} : { code: fields.code }),
    ...(fields.message === undefined ? {} : { message: fields.message }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(encoded === undefined
      ? {}
      : {
          encodedAuthorizationMessage: boundLength(encoded.trim(), MAX_ENCODED_AUTHORIZATION_CHARS),
        }),
  };
}

/** The root, then its object-valued members, then theirs…: breadth-first, arrays skipped. */
function breadthFirstObjects(root: Json): Json[] {
  const order: Json[] = [root];
  for (let index = 0; index < order.length; index += 1) {
    for (const value of Object.values(order[index] ?? {})) {
      if (!isObject(value)) continue;
      if (order.length >= MAX_OBJECTS_VISITED) return order;
      order.push(value);
    }
  }
  return order;
}

/** The first pair the object holds, as the SDK cores test it: both names present. */
function pairIn(object: Json): { code?: string; message?: string; holder: Json } | undefined {
  for (const [codeName, messageName] of PAIRS) {
    if (!(codeName in object) || !(messageName in object)) continue;
    const code = codeOf(object[codeName]);
    const message = messageOf(object[messageName]);
    if (code === undefined && message === undefined) continue;
    return {
      ...(code === undefined ? {} : { code }),
      ...(message === undefined ? {} : { message }),
      holder: object,
    };
  }
  return undefined;
}

/** No pair anywhere: what single fields at the top or under `error` say. */
function singleFields(json: Json): { code?: string; message?: string } {
  const nested = isObject(json.error) ? json.error : {};
  const code =
    codeOf(json.error_code) ??
    codeOf(json.errorCode) ??
    codeOf(nested.error_code) ??
    codeOf(nested.errorCode) ??
    codeOf(nested.code) ??
    codeOf(json.code) ??
    // {"error":"invalid_request","error_description":"…"} (OAuth style): the string is the code.
    codeOf(typeof json.error === 'string' ? json.error : undefined);
  const message = [
    json.error_msg,
    json.errorMsg,
    json.errorMessage,
    json.error_message,
    nested.error_msg,
    nested.errorMsg,
    nested.errorMessage,
    nested.message,
    json.message,
    json.error_description,
    nested.title,
  ].reduce<string | undefined>((chosen, value) => chosen ?? messageOf(value), undefined);
  return {
    ...(code === undefined ? {} : { code }),
    ...(message === undefined ? {} : { message }),
  };
}

/** A code as a string; a numeric one (Keystone's 401) becomes "401". */
function codeOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const code = value.trim();
  return code === '' ? undefined : boundLength(code, MAX_CODE_CHARS);
}

function messageOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const message = scrubText(value, { controls: 'space', trim: true });
  return message === '' ? undefined : message;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
