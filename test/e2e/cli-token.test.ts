import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

// The token command is the subject, so it runs as the CLI; the servers that make and take its tokens run in this
// process (the server's own start-up is token-file.test.ts's subject).
afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const TOKEN_LINE = /^[A-Za-z0-9_-]{43}\n$/;

function statusWith(url: string, token: string): Promise<number> {
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

describe('fleet-mcp token', () => {
  it('path prints the token file path', async () => {
    const sandbox = createSandbox();
    expect(await runCli(sandbox, ['token', 'path'])).toMatchObject({ code: 0, stdout: `${sandbox.tokenFile}\n` });
    expect(await runCli(sandbox, ['token', 'path', '--token-file', 'my-token'])).toMatchObject({
      code: 0,
      stdout: `${sandbox.cwd}/my-token\n`,
    });
  });

  it('show without a token file exits 1 and says how to create one', async () => {
    const sandbox = createSandbox();
    const result = await runCli(sandbox, ['token', 'show']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(sandbox.tokenFile);
    expect(result.stderr).toContain('fleet-mcp token rotate');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('show prints exactly the token and a newline; --json prints the record', async () => {
    const sandbox = createSandbox();
    await (await startInProcessServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: 'true' } })).stop();
    const record = JSON.parse(readFileSync(sandbox.tokenFile, 'utf8'));
    rememberSecret(record.value);
    const show = await runCli(sandbox, ['token', 'show']);
    expect(show).toMatchObject({ code: 0, stdout: `${record.value}\n`, stderr: '' });
    const json = await runCli(sandbox, ['token', 'show', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(record);
  });

  it('rotate writes a new token atomically and prints it; after a restart only the new one works', async () => {
    const sandbox = createSandbox();
    const env = { FLEET_MCP_AUTH_ENABLED: 'true' };
    const first = await startInProcessServer(sandbox, { env });
    const oldToken = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    expect(await statusWith(first.mcpUrl, oldToken)).toBe(200);

    const rotated = await runCli(sandbox, ['token', 'rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(TOKEN_LINE);
    const newToken = rememberSecret(rotated.stdout.trim());
    expect(newToken).not.toBe(oldToken);
    expect(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value).toBe(newToken);
    expect(statSync(sandbox.tokenFile).mode & 0o777).toBe(0o600);
    expect((await runCli(sandbox, ['token', 'show'])).stdout).toBe(`${newToken}\n`);

    await first.stop();
    const second = await startInProcessServer(sandbox, { env });
    expect(await statusWith(second.mcpUrl, oldToken)).toBe(401);
    expect(await statusWith(second.mcpUrl, newToken)).toBe(200);
    await second.stop();
  });

  it('show prints the token the server would use: the environment, then a systemd credential, then the file', async () => {
    const sandbox = createSandbox();
    const credentials = join(sandbox.root, 'credentials');
    mkdirSync(credentials);
    const credential = rememberSecret('show-credential-token-0123456789-abcdefghij');
    writeFileSync(join(credentials, 'fleet-mcp-token'), `${credential}\n`);
    const viaCredential = await runCli(sandbox, ['token', 'show'], { CREDENTIALS_DIRECTORY: credentials });
    expect(viaCredential).toMatchObject({ code: 0, stdout: `${credential}\n` });
    const json = await runCli(sandbox, ['token', 'show', '--json'], { CREDENTIALS_DIRECTORY: credentials });
    expect(JSON.parse(json.stdout)).toEqual({ value: credential, source: 'systemd credential' });
    const envToken = rememberSecret('show-env-token-0123456789-abcdefghijklmnop');
    const viaEnv = await runCli(sandbox, ['token', 'show'], {
      CREDENTIALS_DIRECTORY: credentials,
      FLEET_MCP_AUTH_TOKEN: envToken,
    });
    expect(viaEnv.stdout).toBe(`${envToken}\n`);
  });

  it('rotate creates the file when there is none', async () => {
    const sandbox = createSandbox();
    const rotated = await runCli(sandbox, ['token', 'rotate']);
    expect(rotated.stdout).toMatch(TOKEN_LINE);
    rememberSecret(rotated.stdout.trim());
    expect(statSync(sandbox.tokenFile).mode & 0o777).toBe(0o600);
  });

  it('--version prints the package version', async () => {
    const sandbox = createSandbox();
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await runCli(sandbox, ['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});
