import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_APP_MIME_TYPE, FLEET_APP_URI } from '../../src/mcp/app/app-link.js';
import { CLI } from '../helpers/cli.js';
import { toolJson } from '../helpers/mcp-client.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { exitAfterOutput } from '../helpers/process-exit.js';
import { captureLog, expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { defaultDataDir, hostPid, killHost, startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';

const sandboxes: Sandbox[] = [];
/** One folder for the tests that do not start the fleet themselves: a client attached keeps its fleet running. */
let shared: Sandbox;

beforeAll(async () => {
  shared = stdioSandbox();
  await startStdioClient(shared);
});

afterAll(async () => {
  await stopStdioClients();
  for (const sandbox of sandboxes) killHost(defaultDataDir(sandbox));
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function stdioSandbox(): Sandbox {
  const sandbox = createSandbox();
  sandboxes.push(sandbox);
  return sandbox;
}

/** A token a secret manager might hand over: stdio must ignore it, and never log it. */
const ENV_TOKEN = rememberSecret('stdio-secret-token-stdio-secret-token-0123456789');

function stdioEnv(sandbox: Sandbox): Record<string, string> {
  const env = { ...sandbox.env, FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_AUTH_TOKEN: ENV_TOKEN };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const callProjects = {
  jsonrpc: '2.0',
  id: 2,
  method: 'tools/call',
  params: { name: 'list_agent_projects', arguments: {} },
};

function lines(...messages: object[]): string {
  return messages.map((message) => JSON.stringify(message)).join('\n');
}

/** `printf '…' | fleet-mcp stdio`: writes the input, closes stdin at once, and reads stdout to the end. */
/** A JSON-RPC message fleet-mcp stdio wrote: the fields these tests read. */
interface RpcMessage {
  jsonrpc: string;
  id: number;
  result: { isError?: boolean; serverInfo?: unknown };
}

async function pipeThrough(sandbox: Sandbox, input: string): Promise<{ code: number | null; messages: RpcMessage[] }> {
  const child = spawn(process.execPath, [CLI, 'stdio'], { cwd: sandbox.cwd, env: stdioEnv(sandbox), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  captureLog('piped stdio', () => stdout + stderr);
  const exited = exitAfterOutput(child);
  child.stdin.end(input);
  const code = await exited;
  return {
    code,
    messages:
      stdout === ''
        ? []
        : stdout
            .trimEnd()
            .split('\n')
            .map((line) => JSON.parse(line) as RpcMessage),
  };
}

describe('fleet-mcp stdio', () => {
  it('serves the SDK client over stdin/stdout without a token', async () => {
    const sandbox = shared;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio'],
      cwd: sandbox.cwd,
      env: stdioEnv(sandbox),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    captureLog('stdio (stderr)', () => stderr);
    const client = new Client({ name: 'fleet-mcp-test', version: '1.0.0' });
    await client.connect(transport);
    expect(client.getServerVersion()).toMatchObject({ name: 'fleet-mcp' });
    const result = await client.callTool({ name: 'list_agent_projects', arguments: {} });
    expect(toolJson(result)).toMatchObject({ projects: [{ name: 'work', path: sandbox.cwd }], total_count: 1 });
    // A stdio connection is one long session, so its client may subscribe to agent resources.
    expect(client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual([FLEET_APP_URI]);
    // The bundle carries the MCP App whole: its script survives minifying (it is sent as its own source text).
    const app = (await client.readResource({ uri: FLEET_APP_URI })).contents[0] as { mimeType: string; text: string };
    expect(app.mimeType).toBe(FLEET_APP_MIME_TYPE);
    expect(app.text).toMatch(/<script>\(function \w*\(\)\{.*ui\/initialize.*\}\)\(\);<\/script>/s);
    await client.close();
    expect(existsSync(sandbox.tokenFile)).toBe(false);
  });

  it('writes only JSON-RPC to stdout, logs JSON lines to stderr, and exits 0 when stdin closes', async () => {
    const sandbox = shared;
    const child = spawn(process.execPath, [CLI, 'stdio'], { cwd: sandbox.cwd, env: stdioEnv(sandbox), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    captureLog('raw stdio', () => stdout + stderr);
    const exited = exitAfterOutput(child);
    const answered = new Promise<void>((resolve) =>
      child.stdout.on('data', () => stdout.includes('"id":2') && resolve()),
    );
    child.stdin.write(`${JSON.stringify(initialize)}\n${JSON.stringify(callProjects)}\n`);
    await answered;
    child.stdin.end();
    expect(await exited).toBe(0);

    const messages = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(messages.map((message) => [message.jsonrpc, message.id])).toEqual([
      ['2.0', 1],
      ['2.0', 2],
    ]);
    expect(messages[1].result.isError).toBeFalsy();
    const logs = stderr
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(logs.map((line) => line.msg)).toEqual(['fleet-mcp serving on stdio', 'shutting down']);
  });

  it('answers the requests piped in before stdin closed, starting the fleet, and exits 0', async () => {
    const sandbox = stdioSandbox();
    expect(hostPid(defaultDataDir(sandbox))).toBeNull();
    const { code, messages } = await pipeThrough(sandbox, `${lines(initialize, initialized, callProjects)}\n`);
    expect(code).toBe(0);
    expect(messages.map((message) => message.id)).toEqual([1, 2]);
    expect(messages[0]!.result.serverInfo).toMatchObject({ name: 'fleet-mcp' });
    expect(toolJson(messages[1]!.result)).toMatchObject({
      projects: [{ name: 'work', path: sandbox.cwd }],
      total_count: 1,
    });
    expect(hostPid(defaultDataDir(sandbox))).not.toBeNull();
  });

  it('answers them through a fleet that already runs, the last line taken without its newline', async () => {
    const sandbox = shared;
    const host = hostPid(defaultDataDir(sandbox));
    expect(host).not.toBeNull();
    const { code, messages } = await pipeThrough(sandbox, lines(initialize, initialized, callProjects));
    expect(code).toBe(0);
    expect(messages.map((message) => message.id)).toEqual([1, 2]);
    expect(messages[1]!.result.isError).toBeFalsy();
    expect(hostPid(defaultDataDir(sandbox))).toBe(host);
  });

  it('exits 0 at once when stdin closes after notifications only', async () => {
    expect(await pipeThrough(shared, `${lines(initialized)}\n`)).toEqual({ code: 0, messages: [] });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s', async (signal) => {
    const child = spawn(process.execPath, [CLI, 'stdio'], { cwd: shared.cwd, env: stdioEnv(shared), stdio: 'pipe' });
    let stderr = '';
    captureLog(`stdio ${signal}`, () => stderr);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('serving on stdio')) resolve();
      }),
    );
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(stderr).toContain(`"reason":"${signal}"`);
  });
});
