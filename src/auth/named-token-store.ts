import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { removeAbandonedTempFiles, writeFileAtomicSync } from '../fs/atomic-file.js';
import { SCOPES, type Scope } from './scopes.js';
import { generateToken, tokenDigest } from './token.js';
import { ConfigError } from '../config-error.js';
import { assertTrustedFile } from '../fs/ownership.js';
import { checkDirectory, TokenFileError } from './token-store.js';

export const TOKEN_NAME_RULE =
  'names are 1-32 lowercase letters, digits, "-" or "_", starting with a letter ("shared" is the shared token\'s)';
const TOKEN_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const RESERVED_TOKEN_NAME = 'shared';

export function isTokenName(text: string): boolean {
  return TOKEN_NAME.test(text) && text !== RESERVED_TOKEN_NAME;
}

const recordSchema = z.strictObject({
  name: z.string().refine(isTokenName, { error: TOKEN_NAME_RULE }),
  /** SHA-256 of the token, hex: the value itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'sha256 must be 64 lowercase hex digits' }),
  /** The token's last four characters, so a person can tell tokens apart in `token list`. */
  hint: z.string().regex(/^[A-Za-z0-9_-]{4}$/, { error: 'hint must be 4 token characters' }),
  scopes: z.array(z.enum(SCOPES)).min(1, { error: 'scopes must list at least one scope' }),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable(),
  revoked_at: z.iso.datetime().nullable(),
  rate_per_minute: z.number().int().min(1).nullable(),
});
export type NamedTokenRecord = z.infer<typeof recordSchema>;

const fileSchema = z
  .strictObject({ version: z.literal(1), tokens: z.array(recordSchema) })
  .refine((file) => new Set(file.tokens.map((token) => token.name)).size === file.tokens.length, {
    error: 'a token name appears twice',
  });

function describe(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** The named tokens in `file`; none when it does not exist. Every other problem throws TokenFileError. */
export function readNamedTokens(file: string): NamedTokenRecord[] {
  let text: string;
  try {
    assertTrustedFile(file, {
      what: 'named tokens file',
      forbiddenMode: 0o077,
      chmodFix: '600',
      parentChmodFix: '700',
    });
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TokenFileError(`cannot read named tokens file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokenFileError(
      `named tokens file ${file} is not valid JSON; repair it or move it away (its tokens then stop working)`,
    );
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success)
    throw new TokenFileError(`named tokens file ${file} is invalid: ${describe(parsed.error.issues[0]!)}`);
  return parsed.data.tokens;
}

function writeNamedTokens(file: string, tokens: NamedTokenRecord[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  checkDirectory(dirname(file));
  removeAbandonedTempFiles(file);
  writeFileAtomicSync(file, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`);
}

export interface NewNamedToken {
  name: string;
  scopes: Scope[];
  /** From now; null for a token that does not expire. */
  expiresInMs: number | null;
  ratePerMinute: number | null;
}

/** Makes a token, stores its hash and returns its value: the only time the value exists outside the client. */
export function createNamedToken(file: string, input: NewNamedToken): { value: string; record: NamedTokenRecord } {
  if (!isTokenName(input.name))
    throw new TokenFileError(`token name ${JSON.stringify(input.name)} is not allowed: ${TOKEN_NAME_RULE}`);
  const tokens = readNamedTokens(file);
  const existing = tokens.find((token) => token.name === input.name);
  if (existing) {
    const state = existing.revoked_at ? `was revoked at ${existing.revoked_at}` : `exists since ${existing.created_at}`;
    throw new TokenFileError(
      `a token named "${input.name}" ${state}; names are never reused, so logs and records stay unambiguous: choose another name`,
    );
  }
  const value = generateToken();
  const now = Date.now();
  const record: NamedTokenRecord = {
    name: input.name,
    sha256: tokenDigest(value).toString('hex'),
    hint: value.slice(-4),
    scopes: [...new Set(input.scopes)],
    created_at: new Date(now).toISOString(),
    expires_at: input.expiresInMs === null ? null : new Date(now + input.expiresInMs).toISOString(),
    revoked_at: null,
    rate_per_minute: input.ratePerMinute,
  };
  writeNamedTokens(file, [...tokens, record]);
  return { value, record };
}

/** Marks the token revoked; its record stays so a client presenting it is told why it is refused. */
export function revokeNamedToken(file: string, name: string): NamedTokenRecord {
  const tokens = readNamedTokens(file);
  const record = tokens.find((token) => token.name === name);
  if (!record) {
    const names = tokens.map((token) => token.name);
    throw new TokenFileError(
      `no token named ${JSON.stringify(name)} in ${file}; named tokens: ${names.length > 0 ? names.join(', ') : 'none'}`,
    );
  }
  if (record.revoked_at) throw new TokenFileError(`token "${name}" was already revoked at ${record.revoked_at}`);
  record.revoked_at = new Date().toISOString();
  writeNamedTokens(file, tokens);
  return record;
}

/** How a token is shown to people: never more than its last four characters. */
export function maskToken(hint: string): string {
  return `****${hint}`;
}
