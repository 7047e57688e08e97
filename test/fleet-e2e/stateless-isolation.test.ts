import type { Json } from '../helpers/json.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { toolJson } from '../helpers/mcp-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer, type InProcessFleetServer } from './in-process-fleet.js';

// Stateless /mcp requests are served by servers reused from a pool. These tests run callers with different
// capabilities, protocol versions and token scopes against the real server at once, with the same request ids,
// and check that each gets only what is its own.

// One server for the file, with sessions off so every request is stateless; the tests' agents differ by name.
let fleetServer: InProcessFleetServer;
let server: Endpoint;
let ok: InProcessFleetServer['ok'];
let shared: string;
let tokens: Record<string, string>;

beforeAll(async () => {
  const fleet = createFleetSandbox();
  tokens = createNamedTokens(fleet, { reader: 'read', runner: 'run' });
  fleetServer = await startInProcessFleetServer(fleet, { FLEET_MCP_MAX_SESSIONS: '0' });
  server = fleetServer.server;
  ok = fleetServer.ok;
  shared = fleetServer.token;
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The server's MCP endpoint. */
interface Endpoint {
  mcpUrl: string;
}

const ROUNDS = 25;

interface Caller {
  token: string;
  /** Sent as Mcp-Protocol-Version after initialize, as a client does. */
  version: string;
}

async function post(server: Endpoint, caller: Caller, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${caller.token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': caller.version,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});
const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: {} });
const initialize = (id: number, version: string, capabilities: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: version, capabilities, clientInfo: { name: `client-${version}`, version: '1' } },
});

const toolNames = (answer: Json): string[] => answer.result.tools.map((tool: { name: string }) => tool.name).sort();
const textOf = (answer: Json): Json => JSON.parse(answer.result.content[0].text);
/** The agents a list_agents answer names: what tells it from a wait_for_agent answer to the same id. */
const agentNames = (answer: Json): string[] => textOf(answer).agents.map((agent: { name: string }) => agent.name);

/** The real SDK client, stateless (the server is started with no sessions), declaring every client capability. */
async function richClient(server: Endpoint, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: 'rich-client', version: '1.0.0' },
    { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: { form: {} } } },
  );
  await client.connect(transport);
  return client;
}

describe('stateless /mcp served by reused servers', () => {
  it('keeps capabilities, protocol versions, request ids and token scopes per caller, with callers interleaved', async () => {
    const reader = tokens.reader!;
    const rich = await richClient(server, shared);
    expect(rich.getServerCapabilities()?.tools).toBeDefined();
    const all = (await rich.listTools()).tools.map((tool) => tool.name).sort();
    const readable = toolNames((await post(server, { token: reader, version: '2025-03-26' }, list(1))).body);
    expect(all).toContain('delete_agent');
    expect(readable).not.toContain('create_agent');
    expect(readable).toContain('list_agents');

    // A plain client without capabilities on an older protocol version, with the read token, and another on the
    // shared token: both use the same request ids at the same moment as the SDK client.
    const plainReader: Caller = { token: reader, version: '2025-03-26' };
    const plainAdmin: Caller = { token: shared, version: '2025-06-18' };
    for (let round = 0; round < ROUNDS; round += 1) {
      const [readerInit, adminInit, readerList, adminList, readerBatch, adminCall, refused, richTools, richCall] =
        await Promise.all([
          post(server, plainReader, initialize(1, '2025-03-26', {})),
          post(server, plainAdmin, initialize(1, '2025-06-18', { sampling: {}, elicitation: {} })),
          post(server, plainReader, list(1)),
          post(server, plainAdmin, list(1)),
          post(server, plainReader, [call(1, 'list_agent_roles', { project: 'repo' }), list(2)]),
          post(server, plainAdmin, call(1, 'list_agent_projects')),
          post(server, plainReader, call(1, 'delete_agent', { name: 'nobody' })),
          rich.listTools(),
          rich.callTool({ name: 'list_agent_roles', arguments: { project: 'repo' } }),
        ]);
      expect(readerInit.body.result.protocolVersion).toBe('2025-03-26');
      expect(adminInit.body.result.protocolVersion).toBe('2025-06-18');
      expect(readerList.body.id).toBe(1);
      expect(toolNames(readerList.body)).toEqual(readable);
      expect(toolNames(adminList.body)).toEqual(all);
      expect(readerBatch.body.map((answer: { id: number }) => answer.id)).toEqual([1, 2]);
      expect(textOf(readerBatch.body[0]).roles.map((role: { name: string }) => role.name)).toEqual(['test']);
      expect(toolNames(readerBatch.body[1])).toEqual(readable);
      expect(adminCall.body.id).toBe(1);
      expect(
        textOf(adminCall.body)
          .projects.map((project: { name: string }) => project.name)
          .sort(),
      ).toEqual(['plain', 'repo']);
      expect(refused.status).toBe(403);
      expect(richTools.tools.map((tool) => tool.name).sort()).toEqual(all);
      expect((toolJson(richCall) as { roles: unknown[] }).roles).toHaveLength(1);
    }
    await rich.close();
  });

  it('records each agent as created by the token of the request that created it, with creators interleaved', async () => {
    const runner = tokens.runner!;
    const create = (token: string, name: string) =>
      post(
        server,
        { token, version: '2025-06-18' },
        call(1, 'create_agent', { name, project: 'plain', task: task({ lines: ['done'] }) }),
      );
    const names = Array.from({ length: 6 }, (_, i) => i);
    const answers = await Promise.all(
      names.flatMap((i) => [create(runner, `by-runner-${i}`), create(shared, `by-shared-${i}`)]),
    );
    for (const answer of answers) expect(answer.body.result.isError).not.toBe(true);
    const listed = (await ok('list_agents')).agents as { name: string; created_by: string }[];
    const agents = listed.filter((agent) => agent.name.startsWith('by-'));
    for (const agent of agents) expect(agent.created_by).toBe(agent.name.startsWith('by-runner') ? 'runner' : 'shared');
    expect(agents).toHaveLength(12);
  });

  it('lets no caller cancel or answer another caller’s request with the same id', async () => {
    await ok('create_agent', {
      name: 'sleeper',
      project: 'plain',
      task: task({ lines: ['sleeping'], sleepMs: 60_000 }),
    });
    const caller: Caller = { token: shared, version: '2025-06-18' };
    // The same token, so the same kind of pooled server: the waiting request is the one other callers could reach.
    const waiting = post(server, caller, call(7, 'wait_for_agent', { name: 'sleeper', timeout_seconds: 2 }));
    let settled = false;
    void waiting.finally(() => (settled = true));
    const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'not yours' } };
    let others = 0;
    while (!settled) {
      const [alone, batch, sameId] = await Promise.all([
        post(server, caller, cancel),
        post(server, caller, [cancel, call(8, 'list_agents')]),
        post(server, caller, call(7, 'list_agents')),
      ]);
      expect(alone.status).toBe(202);
      expect(batch.body.id).toBe(8);
      expect(sameId.body.id).toBe(7);
      expect(agentNames(sameId.body)).toContain('sleeper');
      others += 1;
    }
    const answer = await waiting;
    expect(answer.body.id).toBe(7);
    expect(textOf(answer.body).timed_out).toBe(true);
    expect(others).toBeGreaterThan(3);

    // Its own cancel in the same exchange ends the request without an answer, as the SDK does, and the HTTP request with it.
    const own = await post(server, caller, [
      call(8, 'wait_for_agent', { name: 'sleeper', timeout_seconds: 30 }),
      { ...cancel, params: { requestId: 8 } },
      call(9, 'list_agents'),
    ]);
    expect(own.body.id).toBe(9);
    expect(agentNames(own.body)).toContain('sleeper');
  });
});
