import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerToken } from '../../src/auth/server-token.js';
import type { AuthConfig } from '../../src/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function authWithCredential(credential: string): AuthConfig {
  const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-server-token-'));
  dirs.push(root);
  const credentials = join(root, 'credentials');
  mkdirSync(credentials, { mode: 0o700 });
  writeFileSync(join(credentials, 'fleet-mcp-token'), `${credential}\n`, { mode: 0o400 });
  return {
    enabled: true,
    tokenFile: join(root, 'auth_token'),
    envToken: undefined,
    credentialsDirectory: credentials,
    namedTokensFile: join(root, 'tokens.json'),
  };
}

describe('the token a starting server enforces', () => {
  const credential = 'credential-token-0123456789-abcdefghijklmnop';
  const envToken = 'env-token-0123456789-abcdefghijklmnopqrstuvw';

  it('is the systemd credential when no secret manager token is set', () => {
    const { tokens, source } = loadServerToken(authWithCredential(credential));
    expect(source.kind).toBe('credential');
    expect(tokens.verify(credential)).toBe(true);
  });

  it('is FLEET_MCP_AUTH_TOKEN over a systemd credential: the credential is then refused', () => {
    const { tokens, source } = loadServerToken({ ...authWithCredential(credential), envToken });
    expect(source).toEqual({ kind: 'env' });
    expect(tokens.verify(envToken)).toBe(true);
    expect(tokens.verify(credential)).toBe(false);
  });
});
