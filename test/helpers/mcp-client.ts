import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The real SDK client over Streamable HTTP, sending the token the way MCP clients are configured to. */
export async function connectClient(mcpUrl: string, token?: string): Promise<Client> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } });
  const client = new Client({ name: 'fleet-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** What a tool answered, as its structuredContent. */
export function toolJson(result: unknown): unknown {
  return (result as { structuredContent: unknown }).structuredContent;
}

/**
 * A JSON-RPC message POSTed to /mcp by hand, as a Streamable HTTP client sends it; with a session id, inside
 * that session.
 */
export function postMcp(mcpUrl: string, token: string, body: unknown, sessionId?: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...(sessionId ? { 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': '2025-06-18' } : {}),
    },
    body: JSON.stringify(body),
  });
}
