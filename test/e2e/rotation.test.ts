import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { send } from '../helpers/http-request.js';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';

afterAll(async () => {
  await stopInProcessServers();
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const AUTH_ON = { FLEET_MCP_AUTH_ENABLED: 'true' };

function statusWith(server: { mcpUrl: string }, token: string): Promise<number> {
  return send(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  }).then((response) => response.status);
}

/** Polls until the token gets `status`; returns how long that took, or fails after `withinMs`. */
async function becomes(server: { mcpUrl: string }, token: string, status: number, withinMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started <= withinMs) {
    if ((await statusWith(server, token)) === status) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`token did not get ${status} within ${withinMs} ms`);
}

async function until(check: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reloading on a file change is the server's work, not its process's: it runs in this one. SIGHUP needs the CLI. */
async function serverWithToken(): Promise<{ sandbox: Sandbox; server: InProcessServer; token: string }> {
  const sandbox = createSandbox();
  const server = await startInProcessServer(sandbox, { env: AUTH_ON });
  const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
  return { sandbox, server, token };
}

async function rotate(sandbox: Sandbox, args: string[] = []): Promise<string> {
  const result = await runCli(sandbox, ['token', 'rotate', ...args]);
  expect(result.code).toBe(0);
  return rememberSecret(result.stdout.trim());
}

describe('rotation without restart', () => {
  it('accepts the new token and refuses the old one within a second', async () => {
    const { sandbox, server, token } = await serverWithToken();
    expect(await statusWith(server, token)).toBe(200);
    const next = await rotate(sandbox);
    await becomes(server, next, 200, 1000);
    await becomes(server, token, 401, 1000);
    await expect.poll(server.output).toContain('token reloaded');
  });

  it('with --grace keeps the old token valid until the grace ends', async () => {
    const { sandbox, server, token } = await serverWithToken();
    // A window far longer than the test, so "still valid" is checked whatever the machine's speed.
    const next = await rotate(sandbox, ['--grace', '1h']);
    const record = JSON.parse(readFileSync(sandbox.tokenFile, 'utf8'));
    expect(record.previous.value).toBe(token);
    await becomes(server, next, 200, 5000);
    expect(await statusWith(server, token)).toBe(200);

    // The same file with its window ending in a moment: the old token is refused once it passed, the new one kept.
    const ending = {
      ...record,
      previous: { ...record.previous, expires_at: new Date(Date.now() + 300).toISOString() },
    };
    const temp = `${sandbox.tokenFile}.test`;
    writeFileSync(temp, JSON.stringify(ending), { mode: 0o600 });
    renameSync(temp, sandbox.tokenFile);
    await becomes(server, token, 401, 5000);
    expect(await statusWith(server, next)).toBe(200);
  });

  it('refuses a --grace that is not a duration', async () => {
    const sandbox = createSandbox();
    const result = await runCli(sandbox, ['token', 'rotate', '--grace', 'ten minutes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--grace must be a duration such as 90s, 10m, 2h or 1h30m');
  });

  it('keeps the last good token when the file turns bad, and logs one error per change', async () => {
    const { sandbox, server, token } = await serverWithToken();
    const errors = (): number =>
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('token file unusable')).length;
    writeFileSync(sandbox.tokenFile, '{"value": broken');
    await until(() => errors() >= 1, 5000);
    expect(await statusWith(server, token)).toBe(200);
    expect(errors()).toBe(1);
    expect(server.output()).toContain('is not valid JSON');

    chmodSync(sandbox.tokenFile, 0o644);
    await until(() => errors() >= 2, 5000);
    expect(errors()).toBe(2);
    expect(await statusWith(server, token)).toBe(200);

    const next = await rotate(sandbox);
    await becomes(server, next, 200, 1000);
    await becomes(server, token, 401, 1000);
  });

  it('reloads on SIGHUP even when nothing changed', async () => {
    const server = await startServer(createSandbox(), { env: AUTH_ON });
    const reloads = (): number =>
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('"token reloaded"')).length;
    expect(reloads()).toBe(0);
    server.process.kill('SIGHUP');
    await expect.poll(reloads).toBe(1);
    await expect.poll(server.output).toContain('SIGHUP: reloading the token file');
    expect(server.process.exitCode).toBeNull();
  });

  it('survives SIGHUP when the token does not come from a file, reloading the named tokens only', async () => {
    const sandbox = createSandbox();
    const envToken = rememberSecret('sighup-env-token-0123456789-abcdefghijklmnop');
    const server = await startServer(sandbox, { env: { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN: envToken } });
    server.process.kill('SIGHUP');
    await expect.poll(() => server.output()).toContain('"named tokens reloaded"');
    expect(server.output()).not.toContain('"token reloaded"');
    expect(await statusWith(server, envToken)).toBe(200);
    expect(server.process.exitCode).toBeNull();
  });
});
