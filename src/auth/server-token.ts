import type { AuthConfig } from '../config.js';
import { ensureTokenFile } from './token-store.js';

export type TokenSource = { kind: 'env' } | { kind: 'file'; file: string; created: boolean };

export interface ServerToken {
  value: string;
  source: TokenSource;
}

/**
 * The token a starting server enforces: a secret manager's token from the environment wins; otherwise the
 * token file, created now when missing so that clients can be configured before the first request.
 */
export function loadServerToken(auth: AuthConfig): ServerToken {
  if (auth.envToken) return { value: auth.envToken, source: { kind: 'env' } };
  const { record, created } = ensureTokenFile(auth.tokenFile);
  return { value: record.value, source: { kind: 'file', file: auth.tokenFile, created } };
}
