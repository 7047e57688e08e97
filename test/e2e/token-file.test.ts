import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers, startServer } from '../helpers/server.js';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';

const AUTH_ON = { FLEET_MCP_AUTH_ENABLED: 'true' };

// The first start, a `~` path (this process's home is not the sandbox's) and servers starting side by side are the
// real process's; the rest of the token file's life runs the server in-process.
afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function readRecord(file: string): Record<string, string> {
  const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  if (record.value) rememberSecret(record.value);
  return record;
}

function authorized(token: string): RequestInit {
  return {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  };
}

/** Leaves temp files as a writer killed before its rename would: one from 2 minutes ago, one just now. */
function plantTempFiles(sandbox: Sandbox): { abandoned: string; fresh: string } {
  const dir = dirname(sandbox.tokenFile);
  const abandoned = join(dir, '.auth_token.0123456789ab.tmp');
  const fresh = join(dir, '.auth_token.ba9876543210.tmp');
  for (const file of [abandoned, fresh]) writeFileSync(file, '{"value": "half-written', { mode: 0o600 });
  const twoMinutesAgo = new Date(Date.now() - 120_000);
  utimesSync(abandoned, twoMinutesAgo, twoMinutesAgo);
  return { abandoned, fresh };
}

describe('the token file', () => {
  it('is generated at start-up, before any request, as 0600 JSON in a 0700 directory', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, { env: AUTH_ON });
    const record = readRecord(sandbox.tokenFile);
    expect(Object.keys(record).sort()).toEqual(['created_at', 'value']);
    expect(record.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(new Date(record.created_at!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(statSync(sandbox.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(sandbox.tokenFile)).mode & 0o777).toBe(0o700);
    expect(readdirSync(dirname(sandbox.tokenFile))).toEqual(['auth_token']);
    expect(server.ready).toMatchObject({ auth: 'enabled', token_file: sandbox.tokenFile, token_created: true });
    await server.stop();
  });

  it('is reused after a restart', async () => {
    const sandbox = createSandbox();
    await (await startInProcessServer(sandbox, { env: AUTH_ON })).stop();
    const first = readRecord(sandbox.tokenFile);
    const server = await startInProcessServer(sandbox, { env: AUTH_ON });
    expect(readRecord(sandbox.tokenFile)).toEqual(first);
    expect(server.ready.token_created).toBe(false);
    expect((await fetch(server.mcpUrl, authorized(first.value!))).status).toBe(200);
    await server.stop();
  });

  it('honours the short alias AUTH_ENABLED and a token file path with ~', async () => {
    const sandbox = createSandbox();
    const server = await startServer(sandbox, {
      env: { AUTH_ENABLED: 'yes', FLEET_MCP_AUTH_TOKEN_FILE: '~/secrets/fleet-token' },
    });
    const file = `${sandbox.env.HOME}/secrets/fleet-token`;
    expect(readRecord(file).value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.ready.token_file).toBe(file);
    await server.stop();
  });

  it('ends with one token every server accepts when several start at once', async () => {
    const sandbox = createSandbox();
    // Each server needs its own data dir (a data dir belongs to one server); they share the token file.
    const servers = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        startServer(sandbox, { env: { ...AUTH_ON, FLEET_MCP_DATA_DIR: join(sandbox.root, `data-${n}`) } }),
      ),
    );
    const record = readRecord(sandbox.tokenFile);
    for (const server of servers) expect((await fetch(server.mcpUrl, authorized(record.value!))).status).toBe(200);
    expect(servers.filter((server) => server.ready.token_created).length).toBe(1);
    expect(readdirSync(dirname(sandbox.tokenFile))).toEqual(['auth_token']);
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('is not created when auth is disabled, and requests need no header', async () => {
    const sandbox = createSandbox();
    const server = await startInProcessServer(sandbox);
    expect(server.ready.auth).toBe('disabled');
    const response = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(response.status).toBe(200);
    expect(existsSync(sandbox.configDir)).toBe(false);
    await server.stop();
  });

  it('is not written when FLEET_MCP_AUTH_TOKEN supplies the token', async () => {
    const sandbox = createSandbox();
    const envToken = rememberSecret('s3cret-from-a-vault_0123456789abcdefXYZ');
    const server = await startInProcessServer(sandbox, {
      env: { ...AUTH_ON, FLEET_MCP_AUTH_TOKEN: `  ${envToken}\n` },
    });
    expect(server.ready.token_source).toBe('FLEET_MCP_AUTH_TOKEN');
    expect(existsSync(sandbox.tokenFile)).toBe(false);
    expect((await fetch(server.mcpUrl, authorized(envToken))).status).toBe(200);
    await server.stop();
  });

  it('loses the temp files a killed writer left, on the next rotate or start, but not one a writer may be using', async () => {
    const sandbox = createSandbox();
    expect((await runCli(sandbox, ['token', 'rotate'])).code).toBe(0);
    readRecord(sandbox.tokenFile);
    let temps = plantTempFiles(sandbox);
    expect((await runCli(sandbox, ['token', 'rotate'])).code).toBe(0);
    readRecord(sandbox.tokenFile);
    expect([existsSync(temps.abandoned), existsSync(temps.fresh)]).toEqual([false, true]);

    temps = plantTempFiles(sandbox);
    const server = await startInProcessServer(sandbox, { env: AUTH_ON });
    expect([existsSync(temps.abandoned), existsSync(temps.fresh)]).toEqual([false, true]);
    await server.stop();
  });
});
