import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import { readMcpBody } from './mcp-body.js';

/**
 * The server is stateless: there are no MCP sessions to resume, so GET (a standalone event stream) and
 * DELETE (ending a session) have nothing to act on. Like the SDK's stateless examples they answer 405.
 */
function methodNotAllowed(): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed: this server is stateless, send JSON-RPC requests with POST.' },
      id: null,
    }),
    { status: 405, headers: { 'Content-Type': 'application/json', Allow: 'POST' } },
  );
}

/** Streamable HTTP at /mcp: a fresh server and transport per request, so no state leaks between callers. */
export function createMcpHandler(deps: McpServerDeps): (c: Context) => Promise<Response> {
  return async (c) => {
    if (c.req.method !== 'POST') return methodNotAllowed();
    const server = createMcpServer(deps);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      const { request, parsedBody } = await readMcpBody(c);
      return await transport.handleRequest(request, { parsedBody });
    } finally {
      await server.close();
    }
  };
}
