import { afterAll, describe, expect, it } from 'vitest';
import { postMcp } from '../helpers/mcp-client.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { createNamedTokens, startInProcessFleetServer } from './in-process-fleet.js';
import type { Json } from '../helpers/json.js';

// In a session, requests that need no stream are answered as JSON beside the SDK's transport. These tests hold
// two sessions of different tokens and capabilities at once, and end a session while such a request waits.

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** The server's MCP endpoint. */
interface Endpoint {
  mcpUrl: string;
}

interface Session {
  token: string;
  id: string;
}

function rpc(server: Endpoint, token: string, body: unknown, sessionId?: string): Promise<Response> {
  return postMcp(server.mcpUrl, token, body, sessionId);
}

async function open(server: Endpoint, token: string, capabilities: object): Promise<Session> {
  const params = {
    protocolVersion: '2025-06-18',
    capabilities,
    clientInfo: { name: 'session-json-test', version: '1' },
  };
  const response = await rpc(server, token, { jsonrpc: '2.0', id: 0, method: 'initialize', params });
  await response.text();
  const id = response.headers.get('mcp-session-id');
  expect(id).not.toBeNull();
  expect((await rpc(server, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, id!)).status).toBe(202);
  return { token, id: id! };
}

async function send(server: Endpoint, session: Session, body: unknown): Promise<{ response: Response; body: Json }> {
  const response = await rpc(server, session.token, body, session.id);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('mcp-session-id')).toBe(session.id);
  return { response, body: await response.json() };
}

const toolNames = (answer: Json): string[] => answer.result.tools.map((tool: { name: string }) => tool.name).sort();

describe('plain requests in a session', () => {
  it('are answered as JSON, each session with its own tools and answers, with the same ids at the same moment', async () => {
    const fleet = createFleetSandbox();
    const reader = createNamedTokens(fleet, { reader: 'read' }).reader!;
    const { server, token: shared } = await startInProcessFleetServer(fleet);
    const admin = await open(server, shared, { sampling: {}, elicitation: {}, roots: { listChanged: true } });
    const read = await open(server, reader, {});
    for (let round = 0; round < 20; round += 1) {
      const id = round + 1;
      const [adminTools, readTools, adminCall, readCall] = await Promise.all([
        send(server, admin, { jsonrpc: '2.0', id, method: 'tools/list', params: {} }),
        send(server, read, { jsonrpc: '2.0', id, method: 'tools/list', params: {} }),
        send(server, admin, [
          {
            jsonrpc: '2.0',
            id: id + 1000,
            method: 'tools/call',
            params: { name: 'list_agent_projects', arguments: {} },
          },
        ]),
        send(server, read, {
          jsonrpc: '2.0',
          id: id + 1000,
          method: 'tools/call',
          params: { name: 'list_agents', arguments: {} },
        }),
      ]);
      expect(adminTools.body.id).toBe(id);
      expect(toolNames(adminTools.body)).toContain('delete_agent');
      expect(toolNames(readTools.body)).not.toContain('create_agent');
      expect(JSON.parse(adminCall.body.result.content[0].text).projects).toHaveLength(2);
      expect(JSON.parse(readCall.body.result.content[0].text).agents).toEqual([]);
    }
  });

  it('get a JSON-RPC error, not a hanging request, when their session ends while they wait', async () => {
    const fleet = createFleetSandbox();
    // At debug level the log shows the read-scoped wait_for_agent call arriving.
    const { server, ok, token: shared } = await startInProcessFleetServer(fleet, { LOG_LEVEL: 'debug' });
    await ok('create_agent', {
      name: 'sleeper',
      project: 'plain',
      task: task({ lines: ['sleeping'], sleepMs: 60_000 }),
    });
    const session = await open(server, shared, {});
    const waiting = send(server, session, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'wait_for_agent', arguments: { name: 'sleeper', timeout_seconds: 50 } },
    });
    // Awaited below; a failure before then must not leave it unhandled.
    waiting.catch(() => undefined);
    await expect.poll(() => server.output()).toContain('"tool":"wait_for_agent"');
    const ended = await fetch(server.mcpUrl, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${shared}`, 'Mcp-Session-Id': session.id },
    });
    expect(ended.status).toBe(200);
    expect((await waiting).body).toMatchObject({ id: 1, error: { code: -32000, message: 'Connection closed' } });
  });
});
