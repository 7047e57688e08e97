import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import type { AuthVariables, TokenIdentity } from '../auth/identity.js';
import { grants, type Scope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import { logText } from '../log-text.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import { toolScope } from '../mcp/tool-scopes.js';
import { SERVICE_NAME } from '../version.js';
import { readMcpBody } from './mcp-body.js';

type McpContext = Context<{ Variables: AuthVariables }>;

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

interface ToolCall {
  tool: string;
  agent: string | undefined;
}

/** The tools/call requests in a JSON-RPC message or batch, with the agent each names, for scope checks and the log. */
function toolCalls(body: unknown): ToolCall[] {
  const messages = Array.isArray(body) ? body : [body];
  const calls: ToolCall[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null || (message as { method?: unknown }).method !== 'tools/call') continue;
    const params = (message as { params?: { name?: unknown; arguments?: Record<string, unknown> } }).params;
    if (typeof params?.name !== 'string') continue;
    const agent = params.arguments?.agent_name ?? params.arguments?.name;
    calls.push({ tool: logText(params.name, 64), agent: typeof agent === 'string' ? logText(agent, 64) : undefined });
  }
  return calls;
}

/** RFC 6750 §3.1: a valid token without the scope the request needs gets 403 and names that scope. */
function insufficientScope(identity: TokenIdentity, tool: string, needed: Scope): Response {
  const description = `Tool "${tool}" needs the "${needed}" scope; token "${identity.name}" has ${identity.scopes.join(', ')}.`;
  return new Response(JSON.stringify({ error: 'insufficient_scope', error_description: description, scope: needed }), {
    status: 403,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'WWW-Authenticate': `Bearer realm="${SERVICE_NAME}", error="insufficient_scope", scope="${needed}"`,
    },
  });
}

/**
 * Streamable HTTP at /mcp: a fresh server and transport per request, so no state leaks between callers. The
 * server offers only the tools the caller's token may call; a call to another is refused with 403 before it
 * reaches the server. Calls that change agents are logged at info with the token's name, reads at debug.
 */
export function createMcpHandler(deps: McpServerDeps, logger: Logger): (c: McpContext) => Promise<Response> {
  return async (c) => {
    if (c.req.method !== 'POST') return methodNotAllowed();
    const identity = c.get('identity');
    const { request, parsedBody } = await readMcpBody(c);
    const calls = toolCalls(parsedBody);
    for (const { tool } of calls) {
      const needed = toolScope(tool);
      if (!grants(identity.scopes, needed)) {
        logger.warn({ token_name: identity.name, tool, needed_scope: needed }, 'tool call refused: insufficient scope');
        return insufficientScope(identity, tool, needed);
      }
    }
    for (const { tool, agent } of calls) {
      const level = toolScope(tool) === 'read' ? 'debug' : 'info';
      logger[level]({ token_name: identity.name, tool, agent }, 'tool called');
    }
    const server = createMcpServer(deps, identity);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      return await transport.handleRequest(request, { parsedBody });
    } finally {
      await server.close();
    }
  };
}
