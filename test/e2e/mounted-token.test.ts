import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../src/auth/token.js';
import { runCli } from '../helpers/cli.js';
import { inProcessRefusal, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

// The file's reading is the subject, so the server runs in this process; the token commands are the CLI.
afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function status(url: string, token: string): Promise<number> {
  return fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  }).then((response) => response.status);
}

/** A secret mounted the way Docker and Kubernetes do: the token alone, a trailing newline, read-only for all. */
function mountSecret(sandbox: Sandbox, mode = 0o444): { file: string; token: string; env: NodeJS.ProcessEnv } {
  const dir = join(sandbox.root, 'secrets');
  mkdirSync(dir, { mode: 0o755, recursive: true });
  const file = join(dir, 'fleet-token');
  const token = rememberSecret(generateToken());
  writeFileSync(file, `${token}\n`);
  chmodSync(file, mode);
  return { file, token, env: { FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_AUTH_TOKEN_FILE: file } };
}

describe('a mounted plain-text token file', () => {
  it('is the shared token, read-only: served, shown, followed when the secret manager replaces it', async () => {
    const sandbox = createSandbox();
    const secret = mountSecret(sandbox);
    const server = await startInProcessServer(sandbox, { env: secret.env });
    expect(server.ready).toMatchObject({
      token_source: 'mounted secret file',
      token_file: secret.file,
      token_created: false,
    });
    expect(server.output()).toContain('mounted token file is readable by other users');
    expect(await status(server.mcpUrl, secret.token)).toBe(200);
    expect((await runCli(sandbox, ['token', 'show'], secret.env)).stdout).toBe(`${secret.token}\n`);
    expect(readFileSync(secret.file, 'utf8')).toBe(`${secret.token}\n`);

    // Kubernetes swaps a secret by renaming a new version into place.
    const next = rememberSecret(generateToken());
    const staged = join(sandbox.root, 'secrets', '.next');
    writeFileSync(staged, `${next}\n`, { mode: 0o444 });
    renameSync(staged, secret.file);
    await expect.poll(() => status(server.mcpUrl, next), { timeout: 2000 }).toBe(200);
    expect(await status(server.mcpUrl, secret.token)).toBe(401);
  });

  it('is never rewritten: token rotate explains why, and leaves it as it was', async () => {
    const sandbox = createSandbox();
    const secret = mountSecret(sandbox);
    for (const args of [
      ['token', 'rotate'],
      ['token', 'rotate', '--grace', '10m'],
    ]) {
      const result = await runCli(sandbox, args, secret.env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('holds a plain token');
      expect(result.stderr).toContain('rotate it in the secret manager');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(secret.file, 'utf8')).toBe(`${secret.token}\n`);
  });

  it('is refused when other users may write it, or when it holds no valid token', async () => {
    const writable = createSandbox();
    const open = mountSecret(writable, 0o666);
    const refused = await inProcessRefusal(writable, { env: open.env });
    expect(refused).toContain('writable by other users');
    expect(refused.trim().split('\n')).toHaveLength(1);

    const garbled = createSandbox();
    const bad = mountSecret(garbled);
    chmodSync(bad.file, 0o644);
    writeFileSync(bad.file, 'not a token\n');
    const invalid = await inProcessRefusal(garbled, { env: bad.env });
    expect(invalid).toContain('neither a JSON token record nor a plain token');
    expect(invalid.trim().split('\n')).toHaveLength(1);
  });

  it('does not loosen the rule for a JSON token file, which stays 0600-only', async () => {
    const sandbox = createSandbox();
    await runCli(sandbox, ['token', 'rotate']);
    rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    chmodSync(sandbox.tokenFile, 0o644);
    const refused = await inProcessRefusal(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } });
    expect(refused).toContain('open to other users');
  });
});
