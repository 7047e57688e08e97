import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { postMcp } from '../helpers/mcp-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

/** The server's MCP endpoint. */
interface Endpoint {
  mcpUrl: string;
}

// One in-process server for the tests of sessions and progress; the cap and idle timeout get one of their own, and
// SIGTERM the real process.
let shared: InProcessFleetServer;
let reader: string;
/** Where the tests make the files their agents wait on. */
let gates: string;

beforeAll(async () => {
  const fleet = createFleetSandbox();
  gates = fleet.sandbox.root;
  reader = createNamedTokens(fleet, { reader: 'read' }).reader!;
  shared = await startInProcessFleetServer(fleet);
});

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function rpc(server: Endpoint, token: string, body: unknown, sessionId?: string): Promise<Response> {
  return postMcp(server.mcpUrl, token, body, sessionId);
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sessions-test', version: '1.0.0' } },
};

/** Opens a session by hand: initialize, then the initialized notification. */
async function openSession(server: Endpoint, token: string): Promise<string | null> {
  const response = await rpc(server, token, INITIALIZE);
  expect(response.status).toBe(200);
  await response.text();
  const id = response.headers.get('mcp-session-id');
  if (id)
    expect((await rpc(server, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, id)).status).toBe(202);
  return id;
}

async function sharedToken(fleet: ReturnType<typeof createFleetSandbox>): Promise<string> {
  return rememberSecret(JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value);
}

describe('MCP sessions on /mcp', () => {
  it('opens a session on initialize, streams on GET, ends it on DELETE, and keeps the stateless mode', async () => {
    const { server, token } = shared;
    const id = await openSession(server, token);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await rpc(server, token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, id!);
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain('wait_for_agent');

    const stream = new AbortController();
    const get = await fetch(server.mcpUrl, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': id! },
      signal: stream.signal,
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('text/event-stream');
    stream.abort();

    const stateless = await rpc(server, token, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect(stateless.status).toBe(200);
    expect(stateless.headers.get('mcp-session-id')).toBeNull();

    const ended = await fetch(server.mcpUrl, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${token}`, 'Mcp-Session-Id': id! },
    });
    expect(ended.status).toBe(200);
    const after = await rpc(server, token, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }, id!);
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ error: { code: -32001 } });
  });

  it('binds a session to the token that opened it, and still applies auth and scopes to its requests', async () => {
    const { server, token } = shared;
    const id = (await openSession(server, token))!;
    expect((await rpc(server, reader, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} })).status).toBe(200);
    expect((await rpc(server, reader, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, id)).status).toBe(
      404,
    );
    expect(
      (await rpc(server, 'x'.repeat(43), { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, id)).status,
    ).toBe(401);
    const readerSession = (await openSession(server, reader))!;
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'delete_agent', arguments: { name: 'a' } },
    };
    expect((await rpc(server, reader, call, readerSession)).status).toBe(403);
  });

  it('caps the sessions: more are served without one', async () => {
    const { server, token } = await startInProcessFleetServer(createFleetSandbox(), { FLEET_MCP_MAX_SESSIONS: '2' });
    // The test's own SDK client may still hold a session of its own, so the cap comes after one or two more.
    const opened = [
      await openSession(server, token),
      await openSession(server, token),
      await openSession(server, token),
    ];
    expect(opened[0]).not.toBeNull();
    expect(opened.at(-1)).toBeNull();
    expect(opened.filter((id) => id !== null).length).toBeLessThanOrEqual(2);
    await expect.poll(server.output).toContain('session cap reached');
  });

  // A server of its own: with the cap's, a loaded machine could take the idle timeout to open its sessions, and the
  // first was closed before the cap was reached.
  it('closes idle sessions, which makes room under the cap', async () => {
    const { server, token } = await startInProcessFleetServer(createFleetSandbox(), {
      FLEET_MCP_MAX_SESSIONS: '2',
      FLEET_MCP_SESSION_IDLE_TIMEOUT: '1s',
    });
    // The SDK client's own session holds a stream, so it is never idle: the first session is the one closed.
    const first = await openSession(server, token);
    expect(first).not.toBeNull();
    await expect.poll(() => server.output()).toContain('closed idle MCP sessions');
    expect((await rpc(server, token, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }, first!)).status).toBe(
      404,
    );
    expect(await openSession(server, token)).not.toBeNull();
  });

  it('ends open sessions and their streams on SIGTERM, and exits 0', async () => {
    const fleet = createFleetSandbox();
    const { server } = await startFleetServer(fleet);
    const token = await sharedToken(fleet);
    const id = (await openSession(server, token))!;
    const get = await fetch(server.mcpUrl, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream', 'Mcp-Session-Id': id },
    });
    expect(get.status).toBe(200);
    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"sessions":\d+,"msg":"closed MCP sessions"/);
  });
});

describe('progress while waiting', () => {
  it('sends the agent state and newest log line while waiting, so a client that resets its timeout waits past it', async () => {
    const { ok, client } = shared;
    // The task ends when the test makes this file, once two progress notices have come (past the client's timeout).
    const go = join(gates, 'slow-go');
    await ok('create_agent', {
      name: 'slow',
      project: 'repo',
      task: task({ lines: ['working on it'], waitForFile: go }),
    });
    const progress: { progress: number; message?: string }[] = [];
    const result = await client.callTool(
      { name: 'wait_for_agent', arguments: { name: 'slow', timeout_seconds: 60 } },
      undefined,
      {
        timeout: 7_000,
        resetTimeoutOnProgress: true,
        onprogress: (event) => {
          progress.push(event);
          if (progress.length === 2) writeFileSync(go, '');
        },
      },
    );
    const answer = JSON.parse((result.content as { text: string }[])[0]!.text);
    expect(answer).toMatchObject({ timed_out: false, agent: { status: 'idle', last_task: { status: 'completed' } } });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]!.message).toContain('slow is busy');
    expect(progress.some((event) => event.message?.includes('ready') || event.message?.includes('working on it'))).toBe(
      true,
    );
  });

  it('without a progress token keeps the bounded wait', async () => {
    const { ok } = shared;
    await ok('create_agent', { name: 'quick', project: 'repo', task: task({ sleepMs: 100 }) });
    const answer = await ok('wait_for_agent', { name: 'quick', timeout_seconds: 5000 });
    expect(answer.timed_out).toBe(false);
    expect(answer.message).toContain('cut to 600 s');
  });
});
