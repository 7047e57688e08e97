import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';
import { connectClient } from '../helpers/mcp-client.js';
import { connectModernClient } from '../helpers/modern-client.js';
import { addNamedToken } from '../helpers/named-tokens.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';

// One server for the file: the protocol is the subject, not the process, and each test sends its own requests with
// tokens made before the server starts; none changes what another sees.
let server: InProcessServer;
let token: string;
let reader: string;

beforeAll(async () => {
  const sandbox = createSandbox();
  reader = addNamedToken(sandbox, 'reader', { scope: 'read' });
  server = await startInProcessServer(sandbox, { env: { FLEET_MCP_AUTH_ENABLED: '1' } });
  token = rememberSecret(JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value);
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const VERSION = '2026-07-28';

function envelope(version: string): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': version,
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
}

function projectsCall(meta: Record<string, unknown>): object {
  return {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'list_agent_projects', arguments: {}, _meta: meta },
  };
}

const HEADERS = { 'Mcp-Protocol-Version': VERSION, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'list_agent_projects' };

/** A JSON-RPC answer's error, as these tests read it; a body that is not JSON becomes { text }. */
interface RpcError {
  error?: { code: number; data?: { supported: string[] } };
  text?: string;
}

async function post(
  server: InProcessServer,
  token: string,
  body: object,
  headers: Record<string, string>,
): Promise<{ status: number; body: RpcError }> {
  const response = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : { text } };
}

describe('/mcp in both eras', () => {
  it('serves a 2026-07-28 client and a 2025-era client side by side, with the same tools', async () => {
    const modern = await connectModernClient(server.mcpUrl, token);
    const tools = await modern.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain('list_agents');
    const result = await modern.callTool({ name: 'list_agent_projects', arguments: {} });
    expect(result.isError).toBeFalsy();
    const unknown = await modern.callTool({ name: 'no_such_tool', arguments: {} }).catch((error: Error) => error);
    expect(JSON.stringify(unknown instanceof Error ? unknown.message : unknown)).toContain('no_such_tool not found');
    const legacy = await connectClient(server.mcpUrl, token);
    expect((await legacy.listTools()).tools.map((tool) => tool.name)).toEqual(tools.tools.map((tool) => tool.name));
    await legacy.close();
    await modern.close();
  });

  it('answers bad modern requests with the spec errors, never a 500 and never the 2025 path', async () => {
    const cases: [string, object, Record<string, string>, number, number][] = [
      [
        'unknown version',
        projectsCall(envelope('2099-01-01')),
        { ...HEADERS, 'Mcp-Protocol-Version': '2099-01-01' },
        400,
        -32022,
      ],
      [
        'method header disagrees',
        projectsCall(envelope(VERSION)),
        { ...HEADERS, 'Mcp-Method': 'tools/list' },
        400,
        -32020,
      ],
      [
        'name header disagrees',
        projectsCall(envelope(VERSION)),
        { ...HEADERS, 'Mcp-Name': 'create_agent' },
        400,
        -32020,
      ],
      ['no version header', projectsCall(envelope(VERSION)), {}, 400, -32020],
      [
        'envelope incomplete',
        projectsCall({ 'io.modelcontextprotocol/protocolVersion': VERSION }),
        HEADERS,
        400,
        -32602,
      ],
      [
        'version header, no envelope',
        { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} },
        { 'Mcp-Protocol-Version': VERSION, 'Mcp-Method': 'tools/list' },
        400,
        -32602,
      ],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const answer = await post(server, token, body, headers);
      expect({ name, status: answer.status, code: answer.body.error?.code }).toEqual({ name, status, code });
    }
    const unknown = await post(server, token, projectsCall(envelope('2099-01-01')), {
      ...HEADERS,
      'Mcp-Protocol-Version': '2099-01-01',
    });
    expect(unknown.body.error?.data?.supported).toEqual([VERSION]);
    const good = await post(server, token, projectsCall(envelope(VERSION)), HEADERS);
    expect(good).toMatchObject({ status: 200, body: { result: { resultType: 'complete' } } });
  });

  it('holds modern requests to the same token and scope rules', async () => {
    const refused = await post(server, 'not-the-token', projectsCall(envelope(VERSION)), HEADERS);
    expect(refused.status).toBe(401);
    const merge = {
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'merge_agent', arguments: { name: 'x' }, _meta: envelope(VERSION) },
    };
    const scoped = await post(server, reader, merge, { ...HEADERS, 'Mcp-Name': 'merge_agent' });
    expect(scoped).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
    // Servers are reused between requests: the admin's, idle now, must not serve the reader, nor the reader's the admin.
    const admin = await connectModernClient(server.mcpUrl, token);
    expect((await admin.listTools()).tools.map((tool) => tool.name)).toContain('merge_agent');
    const client = await connectModernClient(server.mcpUrl, reader);
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('merge_agent');
    expect((await admin.listTools()).tools.map((tool) => tool.name)).toContain('merge_agent');
    await Promise.all([client.close(), admin.close()]);
    expect(token).not.toBe(reader);
  });
});
