import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { Context } from 'hono';
import type { AuthVariables } from '../auth/identity.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';

type NodeContext = Context<{ Bindings: HttpBindings; Variables: AuthVariables }>;

export const LEGACY_MESSAGES_PATH = '/messages';
/** Each open stream holds a socket and a server; more than this many at once is refused rather than grown. */
export const MAX_LEGACY_SESSIONS = 100;

interface Session {
  transport: SSEServerTransport;
  /** The token that opened the stream: only requests with the same token may post to it. */
  tokenName: string;
}

/**
 * The deprecated HTTP+SSE transport (protocol 2024-11-05) for clients that predate Streamable HTTP: GET /sse
 * opens a session's event stream, whose first event names the URL to POST that session's messages to.
 * Unlike /mcp this is stateful: each open stream is one session with its own McpServer.
 */
export interface LegacySse {
  connect: (c: NodeContext) => Promise<Response>;
  message: (c: NodeContext) => Promise<Response>;
  /** Ends every open stream, so a shutdown does not wait the whole grace period for clients that stay connected. */
  closeAll: () => Promise<number>;
}

export function createLegacySse(deps: McpServerDeps, maxSessions = MAX_LEGACY_SESSIONS): LegacySse {
  const sessions = new Map<string, Session>();

  const connect = async (c: NodeContext): Promise<Response> => {
    if (sessions.size >= maxSessions) {
      return c.json(
        {
          error: 'too_many_sessions',
          error_description: `At most ${maxSessions} /sse streams may be open at once; use /mcp, or retry later.`,
        },
        503,
      );
    }
    const identity = c.get('identity');
    const transport = new SSEServerTransport(LEGACY_MESSAGES_PATH, c.env.outgoing);
    sessions.set(transport.sessionId, { transport, tokenName: identity.name });
    // The server's own close handling runs after this one; it only needs forgetting here.
    transport.onclose = () => sessions.delete(transport.sessionId);
    await createMcpServer(deps, identity).connect(transport);
    return RESPONSE_ALREADY_SENT;
  };

  const message = async (c: NodeContext): Promise<Response> => {
    const session = sessions.get(c.req.query('sessionId') ?? '');
    // Another token's session is answered like an unknown one: a session id is no credential, and says nothing.
    if (!session || session.tokenName !== c.get('identity').name) {
      return c.json(
        {
          error: 'unknown_session',
          error_description: 'No open /sse stream of this token has this sessionId; open GET /sse first.',
        },
        404,
      );
    }
    // The body limit in front has read the stream already (also a chunked one), so the parsed body is handed over.
    let parsed: unknown;
    try {
      parsed = JSON.parse(await c.req.text());
    } catch {
      return c.json(
        { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not JSON.' }, id: null },
        400,
      );
    }
    await session.transport.handlePostMessage(c.env.incoming, c.env.outgoing, parsed);
    return RESPONSE_ALREADY_SENT;
  };

  const closeAll = async (): Promise<number> => {
    const open = [...sessions.values()];
    await Promise.all(open.map((session) => session.transport.close()));
    return open.length;
  };

  return { connect, message, closeAll };
}
