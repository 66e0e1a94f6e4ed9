// `npm run audit:verify`: verifies the hash chains of the configured audit store (configuration
// loaded exactly as the gateway loads it), or of an NDJSON export with --file, optionally held
// against signed checkpoints. Exit 0: intact. Exit 1: broken, naming the first bad seq.
// Exit 2: something could not be read (file, database, key, configuration).

import { readFileSync, statSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../config/config-error.ts';
import { loadAuditConfig } from '../../config/load-config.ts';
import { scanStore } from '../audit-reader.ts';
import type { AuditStore } from '../audit-store.ts';
import { CheckpointFileError, readCheckpoints, type Checkpoint } from '../chain/checkpoint.ts';
import { parseSigningKey, parseVerifyKey } from '../chain/checkpoint-key.ts';
import { fileProgress, storeProgress } from './audit-progress.ts';
import { openAuditStore } from '../stores/open-audit-store.ts';
import { readNdjson } from './read-ndjson.ts';
import { recordForVerification } from '../stored-record.ts';
import { verifyChain, type VerifyResult } from '../chain/verify-chain.ts';
import { createWitnessCheck, readWitness, type WitnessFinding } from '../chain/witness.ts';

const USAGE = `usage: npm run audit:verify -- [--file EXPORT.ndjson] [--checkpoints FILE] [--public-key FILE]... [--witness FILE] [--json]

  (no --file)        verify the configured audit store (RESCIND_CONFIG and RESCIND_* as for npm start);
                     its checkpoints (which must exist when a checkpoint key is configured) and
                     the configured key's signatures are checked
  --file FILE        verify an NDJSON export (npm run audit:export) instead
  --checkpoints FILE hold the chains against these signed checkpoints
  --public-key FILE  Ed25519 public key (PEM) that must have signed them; repeat for rotated keys
  --witness FILE     a log file (or NDJSON) of "audit checkpoint" lines kept off the box: the
                     store must hold every witnessed (chain, seq, hash)
  --json             print the result as JSON

exit 0: intact; 1: broken (names the first bad seq); 2: cannot read`;

class CannotRead extends Error {}

interface Source {
  readonly label: string;
  readonly records: AsyncIterable<unknown>;
  readonly checkpoints?: Checkpoint[];
  readonly publicKeys?: KeyObject[];
  readonly close: () => Promise<void>;
}

interface Flags {
  file?: string;
  checkpoints?: string;
  'public-key'?: string[];
  witness?: string;
}

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(argv);
  if (typeof values === 'number') return values;
  const json = values.json === true;
  let source: Source;
  try {
    source = await openSource(values);
  } catch (error) {
    const code = error instanceof CheckpointFileError ? 1 : 2;
    report({ error: code === 1 ? (error as Error).message : messageOf(error) }, json, code);
    return code;
  }
  let result: VerifyResult & { witnessed?: number };
  try {
    result = await verifySource(source, values.witness);
  } catch (error) {
    const message =
      error instanceof CannotRead
        ? error.message
        : `cannot read ${source.label}: ${messageOf(error)}`;
    report({ error: message }, json, 2);
    return 2;
  } finally {
    await source.close();
  }
  printResult(source.label, result, json);
  return result.ok ? 0 : 1;
}

/** The flags, or the exit code when there is nothing to verify (--help, a bad flag). */
function parseFlags(argv: readonly string[]): (Flags & { json?: boolean }) | number {
  let values: Flags & { json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        file: { type: 'string' },
        checkpoints: { type: 'string' },
        'public-key': { type: 'string', multiple: true },
        witness: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error((error as Error).message);
    console.error(USAGE);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  return values;
}

function printResult(label: string, result: VerifyResult, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ source: label, ...result }));
  } else if (result.ok) {
    console.log(`audit trail ${label}: ${result.reason}`);
  } else {
    const where =
      result.firstBadSeq === undefined
        ? ''
        : ` at seq ${result.firstBadSeq}${result.chain !== undefined ? ` of chain ${result.chain}` : ''}`;
    console.error(`audit trail ${label}: BROKEN${where}: ${result.reason}`);
  }
}

/** The chains of the source, held against its checkpoints and, when given, the witness. */
async function verifySource(
  source: Source,
  witnessPath: string | undefined,
): Promise<VerifyResult & { witnessed?: number }> {
  const witness =
    witnessPath === undefined
      ? undefined
      : createWitnessCheck(await loadWitness(witnessPath), source.publicKeys);
  const result = await verifyChain(witness?.tap(source.records) ?? source.records, {
    ...(source.checkpoints !== undefined ? { checkpoints: source.checkpoints } : {}),
    ...(source.publicKeys !== undefined ? { publicKey: source.publicKeys } : {}),
  });
  return witness !== undefined && result.ok ? withWitness(result, witness.finding()) : result;
}

async function openSource(values: Flags): Promise<Source> {
  const explicit: Explicit = {
    keys: values['public-key']?.map(readPublicKey),
    checkpoints: values.checkpoints === undefined ? undefined : loadCheckpoints(values.checkpoints),
  };
  return values.file !== undefined
    ? openFileSource(values.file, explicit)
    : openStoreSource(explicit);
}

/** What the flags name: checkpoints and public keys, else those of the configuration. */
interface Explicit {
  readonly keys: KeyObject[] | undefined;
  readonly checkpoints: Checkpoint[] | undefined;
}

function openFileSource(file: string, explicit: Explicit): Source {
  try {
    if (!statSync(file).isFile()) throw new CannotRead(`${file} is not a file`);
  } catch (error) {
    if (error instanceof CannotRead) throw error;
    throw new CannotRead(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return {
    label: file,
    records: fileProgress('audit:verify', file, readNdjson(file)),
    ...(explicit.checkpoints !== undefined ? { checkpoints: explicit.checkpoints } : {}),
    ...(explicit.keys !== undefined ? { publicKeys: explicit.keys } : {}),
    close: () => Promise.resolve(),
  };
}

async function openStoreSource(explicit: Explicit): Promise<Source> {
  const config = { audit: loadAuditConfig(process.env) };
  const configuredPath =
    config.audit.checkpoints.path ??
    (config.audit.store === 'sqlite' ? `${config.audit.sqlitePath}.checkpoints` : undefined);
  const fileCheckpoints =
    explicit.checkpoints ??
    (configuredPath !== undefined &&
    statSync(configuredPath, { throwIfNoEntry: false }) !== undefined
      ? loadCheckpoints(configuredPath)
      : undefined);
  const configuredKeys = configuredPublicKeys(config.audit.checkpoints);
  let store: AuditStore;
  try {
    store = await openAuditStore(config.audit, { readOnly: true });
  } catch (error) {
    throw new CannotRead(messageOf(error));
  }
  const storedCheckpoints = await checkpointsInStore(store);
  const checkpoints =
    fileCheckpoints === undefined && (storedCheckpoints?.length ?? 0) === 0
      ? undefined
      : [...(storedCheckpoints ?? []), ...(fileCheckpoints ?? [])];
  const missingFile =
    explicit.checkpoints === undefined &&
    configuredPath !== undefined &&
    fileCheckpoints === undefined;
  if (configuredKeys !== undefined && (missingFile || checkpoints === undefined)) {
    await refuseMissingCheckpoints(store, configuredPath);
  }
  const publicKeys = explicit.keys ?? configuredKeys;
  return {
    label: store.location,
    records: storeProgress('audit:verify', store, mapRecords(scanStore(store))),
    ...(checkpoints !== undefined ? { checkpoints } : {}),
    ...(publicKeys !== undefined ? { publicKeys } : {}),
    close: () => store.close(),
  };
}

/** A store that keeps checkpoints (PostgreSQL) is held against them too, whatever the flags. */
async function checkpointsInStore(store: AuditStore): Promise<readonly Checkpoint[] | undefined> {
  try {
    return await store.checkpoints?.();
  } catch (error) {
    await store.close();
    if (error instanceof CheckpointFileError) throw error;
    throw new CannotRead(messageOf(error));
  }
}

async function* mapRecords(
  stored: AsyncIterable<Parameters<typeof recordForVerification>[0]>,
): AsyncGenerator {
  for await (const record of stored) yield recordForVerification(record);
}

/**
 * Checkpoints are configured (a key is), yet the file or the store's own are missing: deleting
 * them must not make a cut tail pass. A store without records has nothing to checkpoint yet.
 */
async function refuseMissingCheckpoints(
  store: AuditStore,
  configuredPath: string | undefined,
): Promise<void> {
  let first: unknown;
  try {
    [first] = await store.query({ limit: 1 });
  } catch (error) {
    await store.close();
    throw new CannotRead(messageOf(error));
  }
  if (first === undefined) return;
  await store.close();
  const missing =
    configuredPath === undefined
      ? `${store.location} holds no checkpoints`
      : `the checkpoints file ${configuredPath} is missing`;
  throw new CheckpointFileError(
    `a checkpoint key is configured but ${missing} (were the checkpoints deleted?)`,
  );
}

/** The public keys of the configured checkpoint keys: the signing key's, and a public key. */
function configuredPublicKeys(checkpoints: {
  signingKey?: string | undefined;
  publicKey?: string | undefined;
}): KeyObject[] | undefined {
  const keys: KeyObject[] = [];
  try {
    if (checkpoints.signingKey !== undefined) {
      keys.push(createPublicKey(parseSigningKey(checkpoints.signingKey)));
    }
    if (checkpoints.publicKey !== undefined) keys.push(parseVerifyKey(checkpoints.publicKey));
  } catch (error) {
    throw new CannotRead(`the configured checkpoint key: ${messageOf(error)}`);
  }
  return keys.length === 0 ? undefined : keys;
}

async function loadWitness(path: string) {
  let witnessed;
  try {
    witnessed = await readWitness(path);
  } catch (error) {
    throw new CannotRead(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (witnessed.length === 0) throw new CannotRead(`${path} holds no "audit checkpoint" lines`);
  return witnessed;
}

function withWitness(
  result: VerifyResult,
  finding: WitnessFinding,
): VerifyResult & { witnessed: number } {
  if (finding.ok) {
    return {
      ...result,
      reason: `${result.reason}; ${finding.reason}`,
      witnessed: finding.witnessed,
    };
  }
  return {
    ...result,
    ok: false,
    reason: finding.reason,
    witnessed: finding.witnessed,
    ...(finding.seq !== undefined ? { firstBadSeq: finding.seq } : {}),
    ...(finding.chain !== undefined ? { chain: finding.chain } : {}),
  };
}

function loadCheckpoints(path: string): Checkpoint[] {
  try {
    return readCheckpoints(path);
  } catch (error) {
    if (error instanceof CheckpointFileError) throw error;
    throw new CannotRead(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function readPublicKey(path: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CannotRead(
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return parseVerifyKey(pem);
  } catch (error) {
    throw new CannotRead(`${path}: ${(error as Error).message}`);
  }
}

function report(body: { error: string }, json: boolean, exitCode: number): void {
  if (json) console.log(JSON.stringify({ ok: false, exitCode, ...body }));
  else console.error(`audit:verify: ${body.error}`);
}

function messageOf(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

process.exitCode = await main(process.argv.slice(2));
