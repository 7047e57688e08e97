import type { HttpBindings } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { SUPPORTED_PROTOCOL_VERSIONS as LEGACY_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { isLegacyRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { Context } from 'hono';
import type { AuthVariables, TokenIdentity } from '../auth/identity.js';
import { grants, type Scope } from '../auth/scopes.js';
import type { Logger } from '../log.js';
import { logText } from '../log-text.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import { toolScope } from '../mcp/fleet-tools.js';
import { SERVICE_NAME } from '../version.js';
import { MAX_BODY_BYTES } from './limits.js';
import { readMcpBody } from './mcp-body.js';
import type { McpSessions } from './mcp-sessions.js';
import { jsonAnswer, jsonExchangeOf } from './json-exchange-request.js';
import { McpServerPool } from './mcp-server-pool.js';
import { createModernHandler } from './modern-mcp.js';
import { refuseTaskCalls } from './task-call-guard.js';

type McpContext = Context<{ Bindings: HttpBindings; Variables: AuthVariables }>;

function jsonRpcError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** GET (a server-to-client stream) and DELETE (ending a session) need a session to act on. */
function methodNeedsSession(): Response {
  return jsonRpcError(
    405,
    'Method not allowed without a session: send Mcp-Session-Id (from the initialize answer), or use POST.',
    { Allow: 'POST' },
  );
}

/** The spec's answer for a session the server does not know (ended, expired, or another token's): start a new one. */
function sessionNotFound(): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      error: { code: -32001, message: 'Session not found: send initialize again to start a new session.' },
      id: null,
    }),
    {
      status: 404,
      headers: { 'Content-Type': 'application/json' },
    },
  );
}

interface ToolCall {
  tool: string;
  agent: string | undefined;
}

function messagesOf(body: unknown): unknown[] {
  return Array.isArray(body) ? body : [body];
}

function isInitialize(body: unknown): boolean {
  return messagesOf(body).some((message) => (message as { method?: unknown } | null)?.method === 'initialize');
}

/** Whether any request asks for progress notifications, which only an event-stream answer can carry. */
function wantsProgress(body: unknown): boolean {
  return messagesOf(body).some(
    (message) =>
      (message as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta?.progressToken !==
      undefined,
  );
}

/** The tools/call requests in a JSON-RPC message or batch, with the agent each names, for scope checks and the log. */
function toolCalls(body: unknown): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const message of messagesOf(body)) {
    if (typeof message !== 'object' || message === null || (message as { method?: unknown }).method !== 'tools/call')
      continue;
    const params = (message as { params?: { name?: unknown; arguments?: Record<string, unknown> } }).params;
    if (typeof params?.name !== 'string') continue;
    const agent = params.arguments?.name;
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

/** Refuses calls beyond the token's scope, and logs the calls it lets through. */
function checkToolCalls(identity: TokenIdentity, body: unknown, logger: Logger): Response | undefined {
  const calls = toolCalls(body);
  for (const { tool } of calls) {
    const needed = toolScope(tool);
    if (!grants(identity.scopes, needed)) {
      logger.warn({ token_name: identity.name, tool, needed_scope: needed }, 'tool call refused: insufficient scope');
      return insufficientScope(identity, tool, needed);
    }
  }
  for (const { tool, agent } of calls) {
    const level = toolScope(tool) === 'read' ? 'debug' : 'info';
    // Read calls are logged at debug, which is usually off: no line, so no fields to build for one.
    if (logger.isLevelEnabled(level)) logger[level]({ token_name: identity.name, tool, agent }, 'tool called');
  }
  return undefined;
}

/**
 * Whether the 2026-07-28 side answers: the SDK's own classification, asked only when the request may be modern.
 * The SDK routes every body that carries the envelope's protocol version there, and none that carries neither it nor
 * a 2026-era MCP-Protocol-Version header; asking it about every 2025-era request would cost each such call.
 */
async function isModernRequest(c: McpContext, request: Request, parsedBody: unknown): Promise<boolean> {
  const claim = (parsedBody as { params?: { _meta?: Record<string, unknown> } } | null)?.params?._meta?.[
    PROTOCOL_VERSION_META_KEY
  ];
  if (claim !== undefined) return true;
  const version = c.req.header('mcp-protocol-version');
  if (
    parsedBody !== undefined &&
    !Array.isArray(parsedBody) &&
    (version === undefined || LEGACY_VERSIONS.includes(version))
  )
    return false;
  return !(await isLegacyRequest(request, parsedBody, { maxRequestBodySize: MAX_BODY_BYTES }));
}

/** Idle servers kept for stateless requests: enough for the concurrent clients of a busy host. */
const MAX_IDLE_POOLED_SERVERS = 32;

/**
 * A request without a session: the common case (JSON-RPC requests, answered as JSON) by a pooled server, anything
 * else (initialize, progress, malformed input) by a fresh server and the SDK's transport, as before.
 */
async function handleStateless(
  deps: McpServerDeps,
  pool: McpServerPool,
  identity: TokenIdentity,
  request: Request,
  parsedBody: unknown,
): Promise<Response> {
  const exchange = jsonExchangeOf(request, parsedBody);
  if (exchange) return jsonAnswer(await pool.answer(identity, exchange.messages, exchange.requestIds));
  const server = createMcpServer(deps, identity);
  const streamed = wantsProgress(parsedBody);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: !streamed,
  });
  try {
    await server.connect(transport);
    return await transport.handleRequest(request, { parsedBody });
  } finally {
    // An event-stream answer is still being written when handleRequest returns; the transport closes with it.
    if (!streamed) await server.close();
  }
}

/**
 * Streamable HTTP at /mcp, in both of its modes. A request carrying `Mcp-Session-Id` belongs to that session
 * (opened by an earlier initialize with the same token); one without it is served statelessly, by a pooled or
 * a fresh server. An initialize opens a session unless the cap is reached. Either way the server offers only the
 * tools the caller's token may call, and a call beyond its scope is refused with 403 before it reaches the server.
 */
export function createMcpHandler(
  deps: McpServerDeps,
  sessions: McpSessions,
  logger: Logger,
): (c: McpContext) => Promise<Response> {
  const pool = new McpServerPool({ deps, maxIdle: MAX_IDLE_POOLED_SERVERS });
  const modern = createModernHandler(deps, logger);
  return async (c) => {
    const identity = c.get('identity');
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId === undefined && c.req.method !== 'POST') return methodNeedsSession();
    const { request, parsedBody } =
      c.req.method === 'POST' ? await readMcpBody(c) : { request: c.req.raw, parsedBody: undefined };
    const refusedCall = checkToolCalls(identity, parsedBody, logger);
    if (refusedCall) return refusedCall;
    if (c.req.method === 'POST' && (await isModernRequest(c, request, parsedBody)))
      return modern.fetch(request, identity, parsedBody, toolCalls(parsedBody)[0]?.tool);
    const refused = refuseTaskCalls(parsedBody);
    if (refused) return refused;
    if (sessionId !== undefined) {
      const session = sessions.find(sessionId, identity);
      if (!session) return sessionNotFound();
      const { response, streamClosed } = await sessions.handle(session, request, parsedBody);
      if (streamClosed) c.env.incoming.once('close', streamClosed);
      return response;
    }
    if (parsedBody !== undefined && isInitialize(parsedBody)) {
      const opened = await sessions.open(identity, request, parsedBody);
      if (opened) return opened;
    }
    return handleStateless(deps, pool, identity, request, parsedBody);
  };
}
