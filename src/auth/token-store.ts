import { linkSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../config-error.js';
import { assertTrustedFile, assertTrustedParent, danglingLinkTarget, shellWord } from '../fs/ownership.js';
import { fsyncDirectory, removeAbandonedTempFiles, writeFileAtomicSync, writeTempFile } from '../fs/atomic-file.js';
import { generateToken, isValidToken, TOKEN_RULE } from './token.js';

export interface PreviousToken {
  value: string;
  /** ISO-8601 UTC; until then the token rotated away from is still accepted. */
  expires_at: string;
}

export interface TokenRecord {
  value: string;
  created_at: string;
  previous?: PreviousToken;
  /**
   * True for a file holding only the token as plain text, as a Docker or Kubernetes secret is mounted: a secret
   * manager owns it, so it is read but never rewritten.
   */
  mounted?: true;
}

/** A token file that cannot be used as it is; the message names the file and how to fix it. */
export class TokenFileError extends ConfigError {
  override name = 'TokenFileError';
}

const recordSchema = z.object({
  value: z
    .string({ error: (issue) => (issue.input === undefined ? 'has no "value" field' : '"value" is not a string') })
    .refine(isValidToken, {
      error: `"value" is not a valid token (${TOKEN_RULE})`,
    }),
  created_at: z.string({ error: 'has no "created_at" string' }),
  previous: z
    .object({
      value: z.string().refine(isValidToken, { error: '"previous.value" is not a valid token' }),
      expires_at: z.iso.datetime({ error: '"previous.expires_at" is not an ISO-8601 UTC time' }),
    })
    .optional(),
});

const GROUP_OTHER = 0o077;
const GROUP_OTHER_WRITE = 0o022;

const errnoCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Like OpenSSH with private keys: a secret other users could read or replace is refused, not used. */
function checkTokenFile(file: string, forbiddenMode: number): void {
  assertTrustedFile(file, { what: 'token file', forbiddenMode, chmodFix: '600', parentChmodFix: '700' });
}

/** A JSON record starts with "{"; any other content is taken for a mounted secret holding the token alone. */
function isPlainToken(text: string): boolean {
  const trimmed = text.trim();
  return trimmed !== '' && !trimmed.startsWith('{');
}

/**
 * A mounted secret: secret managers mount them read-only, often readable by all (0444, 0644) inside a container
 * where no other user runs, so only writes by others are refused; what the file holds must be a valid token.
 */
function plainRecord(file: string, text: string): TokenRecord {
  const value = text.trim();
  if (!isValidToken(value)) {
    throw new TokenFileError(
      `token file ${file} holds neither a JSON token record nor a plain token (${TOKEN_RULE}); fix it where it comes from`,
    );
  }
  return { value, created_at: statSync(file).mtime.toISOString(), mounted: true };
}

/** Whether others may read the token file: allowed only for a mounted secret, and worth a warning there. */
export function isReadableByOthers(file: string): boolean {
  return (statSync(file).mode & 0o044) !== 0;
}

/** The token's directory is made 0700 by the server, so that is the mode to go back to. */
export function checkDirectory(dir: string): void {
  assertTrustedParent(dir, { what: 'token file', chmodFix: '700' });
}

/** A link to nowhere is a mistake to report, not a missing file to create or a name to write over. */
function refuseDanglingLink(file: string): void {
  const target = danglingLinkTarget(file);
  if (target === undefined) return;
  throw new TokenFileError(
    `token file ${file} is a symbolic link to ${target}, which does not exist; remove the link (rm ${shellWord(file)}) or make it point at the token file`,
  );
}

function repairHint(file: string): string {
  return `repair it, or move it away and run \`fleet-mcp token rotate --token-file ${file}\` (clients then need the new token)`;
}

/** Loads the token file; `undefined` when it does not exist. Every other problem throws a ConfigError naming the file. */
export function readTokenFile(file: string): TokenRecord | undefined {
  let text: string;
  try {
    // Writable by others is refused for any token file; readable by others only for a JSON one (below).
    checkTokenFile(file, GROUP_OTHER_WRITE);
    text = readFileSync(file, 'utf8');
    if (isPlainToken(text)) return plainRecord(file, text);
    checkTokenFile(file, GROUP_OTHER);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (errnoCode(error) === 'ENOENT') {
      refuseDanglingLink(file);
      return undefined;
    }
    throw new TokenFileError(`cannot read token file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokenFileError(`token file ${file} is not valid JSON; ${repairHint(file)}`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    throw new TokenFileError(`token file ${file} ${parsed.error.issues[0]!.message}; ${repairHint(file)}`);
  }
  return parsed.data;
}

/** The token file's directory, made 0700 when missing and checked when present, and rid of abandoned temp files. */
function prepareDirectory(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkDirectory(dir);
  refuseDanglingLink(file);
  removeAbandonedTempFiles(file);
}

function newRecord(previous?: PreviousToken): TokenRecord {
  const record: TokenRecord = { value: generateToken(), created_at: new Date().toISOString() };
  return previous ? { ...record, previous } : record;
}

function serialize(record: TokenRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/**
 * Puts a new record in place only if no file exists yet. A hard link is atomic and fails when the name is
 * taken, so two servers starting at once cannot overwrite each other: the loser reads the winner's token.
 */
export function createTokenFileExclusive(file: string, record: TokenRecord): boolean {
  prepareDirectory(file);
  const temp = writeTempFile(file, serialize(record));
  try {
    linkSync(temp, file);
    fsyncDirectory(dirname(file));
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Returns the stored token, creating the file first when there is none. */
export function ensureTokenFile(file: string): { record: TokenRecord; created: boolean } {
  const existing = readTokenFile(file);
  if (existing) {
    removeAbandonedTempFiles(file);
    return { record: existing, created: false };
  }
  const record = newRecord();
  if (createTokenFileExclusive(file, record)) return { record, created: true };
  return { record: readTokenFile(file)!, created: false };
}

/** A mounted secret belongs to its secret manager: rewriting it would be undone, or fail on a read-only mount. */
function refuseMounted(file: string): void {
  let current: TokenRecord | undefined;
  try {
    current = readTokenFile(file);
  } catch {
    return;
  }
  if (!current?.mounted) return;
  throw new TokenFileError(
    `token file ${file} holds a plain token, as a mounted secret does, so fleet-mcp does not rewrite it: rotate it in ` +
      'the secret manager that provides it (a running server picks up the new value within a second)',
  );
}

export interface RotateOptions {
  /** How long the token being replaced stays valid; 0 or absent ends it at once. */
  graceMs?: number;
}

function previousFor(file: string, graceMs: number): PreviousToken | undefined {
  if (graceMs <= 0) return undefined;
  let current: TokenRecord | undefined;
  try {
    current = readTokenFile(file);
  } catch (error) {
    throw new TokenFileError(`cannot keep the current token valid for a grace period: ${(error as Error).message}`);
  }
  if (!current) return undefined;
  return { value: current.value, expires_at: new Date(Date.now() + graceMs).toISOString() };
}

/** Replaces the token with a new one atomically: readers see the old file or the new one, never a mix. */
export function rotateTokenFile(file: string, options: RotateOptions = {}): TokenRecord {
  refuseMounted(file);
  const record = newRecord(previousFor(file, options.graceMs ?? 0));
  prepareDirectory(file);
  writeFileAtomicSync(file, serialize(record));
  return record;
}
