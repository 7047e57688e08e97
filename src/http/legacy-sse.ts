import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { Context } from 'hono';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';

type NodeContext = Context<{ Bindings: HttpBindings }>;

export const LEGACY_MESSAGES_PATH = '/messages';

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

export function createLegacySse(deps: McpServerDeps): LegacySse {
  const sessions = new Map<string, SSEServerTransport>();

  const connect = async (c: NodeContext): Promise<Response> => {
    const transport = new SSEServerTransport(LEGACY_MESSAGES_PATH, c.env.outgoing);
    sessions.set(transport.sessionId, transport);
    // The server's own close handling runs after this one; it only needs forgetting here.
    transport.onclose = () => sessions.delete(transport.sessionId);
    await createMcpServer(deps).connect(transport);
    return RESPONSE_ALREADY_SENT;
  };

  const message = async (c: NodeContext): Promise<Response> => {
    const transport = sessions.get(c.req.query('sessionId') ?? '');
    if (!transport) {
      return c.json({ error: 'unknown_session', error_description: 'No open /sse stream has this sessionId; open GET /sse first.' }, 404);
    }
    await transport.handlePostMessage(c.env.incoming, c.env.outgoing);
    return RESPONSE_ALREADY_SENT;
  };

  const closeAll = async (): Promise<number> => {
    const open = [...sessions.values()];
    await Promise.all(open.map((transport) => transport.close()));
    return open.length;
  };

  return { connect, message, closeAll };
}
