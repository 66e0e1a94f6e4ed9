import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

export interface CheckpointKeyPair {
  /** PKCS#8 PEM, for `audit.checkpoints.signingKey` (RESCIND_AUDIT_CHECKPOINT_KEY[_FILE]). */
  readonly privateKeyPem: string;
  /** SPKI PEM, for `npm run audit:verify -- --public-key FILE`. */
  readonly publicKeyPem: string;
}

/** A fresh Ed25519 key pair for signing audit checkpoints (demo, tests, operators). */
export function generateCheckpointKey(): CheckpointKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The Ed25519 private key of a PKCS#8 PEM; throws a message without key material. */
export function parseSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('the checkpoint signing key is not a PKCS#8 PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error('the checkpoint signing key must be an Ed25519 key');
  }
  return key;
}

export const SIGNING_KEY_MESSAGE = 'must be an Ed25519 private key in PKCS#8 PEM';

/** Whether `pem` parses as a checkpoint signing key (the config schema checks it at load). */
export function isSigningKey(pem: string): boolean {
  try {
    parseSigningKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** The Ed25519 public key of a PEM (a public key, or the private key it belongs to). */
export function parseVerifyKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

/** Names a key in checkpoints: the first 16 hex digits of SHA-256 over its SPKI DER. */
export function checkpointKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}
