import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { type InProcessServer, startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';

/** A token from a secret manager, so these requests also pass through the auth check. */
const TOKEN = rememberSecret('body-test-token-body-test-token-body-test-0123');
let server: InProcessServer;

beforeAll(async () => {
  server = await startInProcessServer(createSandbox(), {
    env: { FLEET_MCP_AUTH_ENABLED: 'true', FLEET_MCP_AUTH_TOKEN: TOKEN },
  });
});

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

function post(body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
    duplex: 'half',
  } as RequestInit);
}

/** A body sent as a stream, so it has no Content-Length and arrives chunked. */
function streamed(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

const listTools = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} });

// POST /mcp reads small bodies on a fast path; these pin that every other body is answered as the SDK answers it.
describe('POST /mcp bodies', () => {
  it('answers a body with a Content-Length and a chunked one alike', async () => {
    for (const body of [listTools, streamed(listTools)]) {
      const response = await post(body);
      expect(response.status).toBe(200);
      const answer = (await response.json()) as { id: number; result: { tools: { name: string }[] } };
      expect(answer.id).toBe(3);
      expect(answer.result.tools.map((tool) => tool.name)).toContain('list_agent_projects');
    }
  });

  it('answers JSON that does not parse with a JSON-RPC parse error', async () => {
    for (const body of ['{"jsonrpc": "2.0",', streamed('not json')]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error: Invalid JSON' },
        id: null,
      });
    }
  });

  it('answers JSON that is not JSON-RPC, and a wrong content type, as the SDK does', async () => {
    const notRpc = await post('{"hello": 1}');
    expect(notRpc.status).toBe(400);
    expect(await notRpc.json()).toMatchObject({
      error: { code: -32700, message: 'Parse error: Invalid JSON-RPC message' },
    });
    expect((await post(listTools, { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('refuses a body over 4 MiB with 413, with or without a Content-Length', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}}`;
    expect((await post(big)).status).toBe(413);
    expect((await post(streamed(big))).status).toBe(413);
  });
});
