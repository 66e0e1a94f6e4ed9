// Secrets come back cut short, base64-encoded or percent-encoded: each form is redacted where
// 8 or more of its characters are quoted, and ordinary text is left alone.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSecretRedactor,
  formsOf,
  REDACTED,
  redactText,
} from '../../../src/text/redact-secrets.ts';

const PASSWORD = 'Tr0ub4dor&3-horse+Battery/staple';

describe('createSecretRedactor', () => {
  const redactor = createSecretRedactor([PASSWORD]);
  const leaks = (text: string): boolean => {
    const out = redactor.redact(text);
    for (const form of formsOf(PASSWORD)) {
      for (let at = 0; at + 8 <= form.length; at += 1) {
        if (out.includes(form.slice(at, at + 8))) return true;
      }
    }
    return false;
  };

  const echoes: [string, string][] = [
    ['whole', `invalid password ${PASSWORD} for user svc`],
    ['cut short at the end', `request body: {"password":"${PASSWORD.slice(0, 11)}`],
    ['cut short at the start', `…${PASSWORD.slice(-9)}" rejected`],
    ['percent-encoded', `postgres://svc:${encodeURIComponent(PASSWORD)}@db:5432/audit`],
    [
      'percent-encoded, lower-case hex',
      `p=${encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
    ],
    ['form-encoded', new URLSearchParams({ password: PASSWORD }).toString()],
    ['base64 alone', Buffer.from(PASSWORD).toString('base64')],
    ['base64 in a Basic header', `Basic ${Buffer.from(`svc:${PASSWORD}`).toString('base64')}`],
    ['base64 at another offset', Buffer.from(`ab${PASSWORD}`).toString('base64')],
    ['base64url', Buffer.from(`x${PASSWORD}`).toString('base64url')],
    ['base64 cut short', Buffer.from(`svc:${PASSWORD}`).toString('base64').slice(0, 20)],
  ];
  for (const [how, text] of echoes) {
    test(`redacts the password echoed ${how}`, () => {
      const out = redactor.redact(text);
      assert.ok(out.includes(REDACTED), out);
      assert.equal(leaks(text), false, out);
      assert.equal(redactor.quotes(text), true);
    });
  }

  test('leaves text that shares fewer than 8 characters alone', () => {
    for (const text of [
      'IAM.0101: The username or password is wrong.',
      `only "${PASSWORD.slice(0, 7)}" of it`,
      'request id 5e8f3c0a9b1d4e2f8a7c6b5d4e3f2a1b',
    ]) {
      assert.equal(redactor.redact(text), text);
      assert.equal(redactor.quotes(text), false);
    }
  });

  test('keeps what surrounds the quote', () => {
    assert.equal(redactor.redact(`a ${PASSWORD} b`), `a ${REDACTED} b`);
  });

  test('a secret shorter than 8 characters is redacted whole only', () => {
    const short = createSecretRedactor(['pw12']);
    assert.equal(short.redact('the pw12 and pw1'), `the ${REDACTED} and pw1`);
  });

  test('an exact-only secret (a connection URL) is not cut into windows', () => {
    const url = 'redis://:s3cret-pass@cache:6379/0';
    const exact = createSecretRedactor([{ value: url, minShared: Infinity, encodings: false }]);
    assert.equal(exact.redact(`connect ${url}`), `connect ${REDACTED}`);
    assert.equal(exact.redact('redis://other:6379'), 'redis://other:6379');
  });

  test('nothing to redact without secrets', () => {
    assert.equal(createSecretRedactor([]).redact(PASSWORD), PASSWORD);
    assert.equal(createSecretRedactor(['']).redact('text'), 'text');
  });
});

describe('redactText', () => {
  test('redacts a token quoted in part, with its own window size', () => {
    const token = `MIIB${'x7Qz'.repeat(40)}END`;
    const text = `bad token ${token.slice(30, 60)} in header`;
    assert.equal(
      redactText(text, [{ value: token, minShared: 16 }]),
      `bad token ${REDACTED} in header`,
    );
    const fifteen = token.slice(30, 45);
    assert.equal(redactText(fifteen, [{ value: token, minShared: 16 }]), fifteen);
  });
});

describe('window matching', () => {
  // A seeded generator, so that a failure names texts that can be found again.
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
  }
  const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=%é漢 -';

  /** The plain reading of the rule: every run that equals a window of the secret is covered. */
  function byHand(text: string, secret: string, size: number): string {
    const windows = new Set<string>();
    for (let at = 0; at + size <= secret.length; at += 1) windows.add(secret.slice(at, at + size));
    const covered = new Array<boolean>(text.length).fill(false);
    for (let at = 0; at + size <= text.length; at += 1) {
      if (windows.has(text.slice(at, at + size))) covered.fill(true, at, at + size);
    }
    let out = '';
    for (let at = 0; at < text.length;) {
      if (!covered[at]) out += text[at++] ?? '';
      else {
        while (at < text.length && covered[at]) at += 1;
        out += REDACTED;
      }
    }
    return out;
  }

  test('redacts exactly the runs that share 16 characters with a token, in 300 random texts', () => {
    const next = random(20261207);
    const pick = (length: number) =>
      Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)] ?? 'a').join('');
    const token = pick(400);
    for (let round = 0; round < 300; round += 1) {
      const from = Math.floor(next() * 380);
      const quoted = token.slice(from, from + 14 + Math.floor(next() * 40));
      const text = `${pick(Math.floor(next() * 60))}${quoted}${pick(Math.floor(next() * 60))}`;
      assert.equal(
        redactText(text, [{ value: token, minShared: 16, encodings: false }]),
        byHand(text, token, 16),
        `round ${round}: ${JSON.stringify(text)}`,
      );
    }
  });
});
