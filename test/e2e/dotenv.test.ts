import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';

// Refusals are the real process's (exit 1, one line); servers that start run in this process, which reads the same
// environment, .env and env file.
afterAll(async () => {
  await stopInProcessServers();
  await stopStdioClients();
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The token an attacker put in a repository's `.env`, hoping the server serves it. */
const PLANTED = rememberSecret('planted-token-from-a-cloned-repository-0123');
const MINE = rememberSecret('my-own-token-in-my-config-dir-env-file-0123');

function plantDotEnv(sandbox: Sandbox, content: string): string {
  const file = join(sandbox.cwd, '.env');
  writeFileSync(file, content);
  return file;
}

function writeUserEnvFile(sandbox: Sandbox, content: string): string {
  const file = join(sandbox.configDir, 'env');
  mkdirSync(sandbox.configDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function mcpPost(url: string, token?: string): Promise<number> {
  return fetch(url, {
    method: 'POST',
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  }).then((response) => response.status);
}

describe('a .env in the working directory (maybe a cloned repository) cannot weaken security', () => {
  it('that plants a token and 0.0.0.0 stops serve with one line naming it; token show never prints the planted token', async () => {
    const sandbox = createSandbox();
    const file = plantDotEnv(
      sandbox,
      `FLEET_MCP_AUTH_TOKEN=${PLANTED}\nFLEET_MCP_HOST=0.0.0.0\nFLEET_MCP_AUTH_ENABLED=true\n`,
    );
    const expected =
      `fleet-mcp: ${file} sets FLEET_MCP_AUTH_ENABLED, FLEET_MCP_AUTH_TOKEN, FLEET_MCP_HOST, which fleet-mcp never takes from a ` +
      `working-directory .env (it may have come with a cloned repository); move them to the environment or to ${join(sandbox.configDir, 'env')}`;
    const { code, stderr } = await expectStartFailure(sandbox);
    expect({ code, stderr: stderr.trim() }).toEqual({ code: 1, stderr: expected });

    for (const args of [
      ['token', 'show'],
      ['token', 'show', '--json'],
      ['token', 'rotate'],
      ['token', 'path'],
    ]) {
      const result = await runCli(sandbox, args);
      expect(result).toEqual({ code: 1, stdout: '', stderr: `${expected}\n` });
    }
  });

  it('stops stdio the same way, telling the MCP client why in an MCP error', async () => {
    const sandbox = createSandbox();
    plantDotEnv(sandbox, 'FLEET_MCP_DATA_DIR=/tmp\n');
    const started = startStdioClient(sandbox);
    await expect(started).rejects.toThrow(
      /MCP error -32000: fleet-mcp: .*\.env sets FLEET_MCP_DATA_DIR, which fleet-mcp never takes from a working-directory \.env/,
    );
  });

  it('that turns auth off and allows unauthenticated 0.0.0.0 stops serve', async () => {
    const sandbox = createSandbox();
    plantDotEnv(
      sandbox,
      'FLEET_MCP_AUTH_ENABLED=false\nFLEET_MCP_ALLOW_UNAUTHENTICATED=true\nFLEET_MCP_HOST=0.0.0.0\n',
    );
    const { code, stderr } = await expectStartFailure(sandbox);
    expect(code).toBe(1);
    expect(stderr).toContain('sets FLEET_MCP_AUTH_ENABLED, FLEET_MCP_HOST, FLEET_MCP_ALLOW_UNAUTHENTICATED, which');
  });

  it('loses to AUTH_ENABLED=true in the environment: the server requires the token', async () => {
    const sandbox = createSandbox();
    plantDotEnv(sandbox, 'FLEET_MCP_AUTH_ENABLED=false\n');
    const server = await startInProcessServer(sandbox, { env: { AUTH_ENABLED: 'true' } });
    const token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
    expect(server.ready.auth).toBe('enabled');
    expect(await mcpPost(server.mcpUrl)).toBe(401);
    expect(await mcpPost(server.mcpUrl, token)).toBe(200);
    await server.stop();
  });

  it("is ignored where the environment sets the same variable: token show prints the environment's token", async () => {
    const sandbox = createSandbox();
    plantDotEnv(sandbox, `FLEET_MCP_AUTH_TOKEN=${PLANTED}\n`);
    const result = await runCli(sandbox, ['token', 'show'], { FLEET_MCP_AUTH_TOKEN: MINE });
    expect(result).toEqual({ code: 0, stdout: `${MINE}\n`, stderr: '' });
  });

  it('still sets harmless settings such as the port', async () => {
    const sandbox = createSandbox();
    plantDotEnv(sandbox, 'FLEET_MCP_PORT=70000\n');
    const { code, stderr } = await expectStartFailure(sandbox, { env: { FLEET_MCP_PORT: undefined } });
    expect(code).toBe(1);
    expect(stderr).toContain('FLEET_MCP_PORT must be a port number from 0 to 65535 (got "70000")');
  });
});

describe('the env file in the config dir', () => {
  it('supplies security settings, and its token is the one served and shown, over a planted .env', async () => {
    const sandbox = createSandbox();
    writeUserEnvFile(sandbox, `FLEET_MCP_AUTH_ENABLED=true\nFLEET_MCP_AUTH_TOKEN=${MINE}\n`);
    plantDotEnv(sandbox, `FLEET_MCP_AUTH_TOKEN=${PLANTED}\nFLEET_MCP_AUTH_ENABLED=false\n`);
    expect(await runCli(sandbox, ['token', 'show'])).toEqual({ code: 0, stdout: `${MINE}\n`, stderr: '' });
    const server = await startInProcessServer(sandbox);
    expect(server.ready).toMatchObject({ auth: 'enabled', token_source: 'FLEET_MCP_AUTH_TOKEN' });
    expect(await mcpPost(server.mcpUrl, PLANTED)).toBe(401);
    expect(await mcpPost(server.mcpUrl, MINE)).toBe(200);
    await server.stop();
  });
});
