import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthConfig } from '../config.js';
import { AcceptedTokens } from './accepted-tokens.js';
import { isValidToken, TOKEN_RULE } from './token.js';
import { ensureTokenFile, TokenFileError } from './token-store.js';

/** The name of the systemd credential (LoadCredential= / LoadCredentialEncrypted=) holding the token. */
const CREDENTIAL_NAME = 'fleet-mcp-token';

export type TokenSource =
  | { kind: 'env' }
  | { kind: 'credential'; file: string }
  | { kind: 'file'; file: string; created: boolean; value: string; mounted: boolean };

export interface ServerToken {
  tokens: AcceptedTokens;
  source: TokenSource;
}

/** The token in a systemd credential file; `undefined` when the unit did not load one. */
function readCredential(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenFileError(`cannot read systemd credential ${file}: ${(error as Error).message}`);
  }
  const value = text.trim();
  if (!isValidToken(value)) throw new TokenFileError(`systemd credential ${file} is not a valid token: ${TOKEN_RULE}`);
  return value;
}

/** The token of a systemd credential, when systemd handed the server one. */
export function credentialToken(auth: AuthConfig): { value: string; file: string } | undefined {
  if (!auth.credentialsDirectory) return undefined;
  const file = join(auth.credentialsDirectory, CREDENTIAL_NAME);
  const value = readCredential(file);
  return value ? { value, file } : undefined;
}

/**
 * The token a starting server enforces, in order: a secret manager's token from the environment, a systemd
 * credential, or the token file, created now when missing so clients can be set up before the first request.
 */
export function loadServerToken(auth: AuthConfig): ServerToken {
  if (auth.envToken) return { tokens: new AcceptedTokens({ value: auth.envToken }), source: { kind: 'env' } };
  const credential = credentialToken(auth);
  if (credential)
    return {
      tokens: new AcceptedTokens({ value: credential.value }),
      source: { kind: 'credential', file: credential.file },
    };
  const { record, created } = ensureTokenFile(auth.tokenFile);
  return {
    tokens: new AcceptedTokens(record),
    source: { kind: 'file', file: auth.tokenFile, created, value: record.value, mounted: record.mounted === true },
  };
}
