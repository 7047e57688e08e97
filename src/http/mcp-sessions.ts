import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { TokenIdentity } from '../auth/identity.js';
import type { Logger } from '../log.js';
import type { ResourceSubscriptions } from '../mcp/resource-subscriptions.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import { SessionTransport } from '../mcp/session-transport.js';
import { jsonAnswer, jsonExchangeOf } from './json-exchange-request.js';

export interface McpSessionsOptions {
  deps: McpServerDeps;
  /** Each session's server takes resource subscriptions here, and leaves them when the session ends. */
  subscriptions: ResourceSubscriptions;
  logger: Logger;
  /** Sessions open at once; past it an initialize is answered without a session (the stateless mode). */
  maxSessions: number;
  /** A session with no request and no open stream for this long is closed (looked for every half of it, at most 30 s). */
  idleMs: number;
}

interface Session {
  transport: SessionTransport;
  server: McpServer;
  /** The token that opened the session: a request with another token is treated as not knowing it. */
  tokenName: string;
  lastActive: number;
  /** Server-to-client streams (GET) open now; a session with one is never idle. */
  openStreams: number;
}

/**
 * The stateful mode of Streamable HTTP: an initialize request opens a session (`Mcp-Session-Id`), with one MCP
 * server for its life, so the server can speak first (progress, notifications) on the streams of that session.
 */
export class McpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly options: McpSessionsOptions) {
    this.sweep = setInterval(() => void this.closeIdle(), Math.min(30_000, Math.max(100, options.idleMs / 2)));
    this.sweep.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session with this id opened by this token, else undefined (the same answer for both, so ids say nothing). */
  find(id: string, identity: TokenIdentity): Session | undefined {
    const session = this.sessions.get(id);
    return session?.tokenName === identity.name ? session : undefined;
  }

  /** Opens a session for an initialize request; undefined when the cap is reached and it is to be served statelessly. */
  async open(identity: TokenIdentity, request: Request, parsedBody: unknown): Promise<Response | undefined> {
    if (this.sessions.size >= this.options.maxSessions) {
      this.options.logger.warn(
        { sessions: this.sessions.size, token_name: identity.name },
        'session cap reached; serving this client without a session',
      );
      return undefined;
    }
    const server = createMcpServer(this.options.deps, identity);
    this.options.subscriptions.attach(server);
    const session: Session = {
      transport: undefined!,
      server,
      tokenName: identity.name,
      lastActive: Date.now(),
      openStreams: 0,
    };
    session.transport = new SessionTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void this.sessions.set(id, session),
      // A DELETE: the transport closes itself, and with it the server's side of the connection.
      onsessionclosed: (id) => void this.sessions.delete(id),
    });
    session.transport.onclose = () => {
      if (session.transport.sessionId) this.sessions.delete(session.transport.sessionId);
    };
    await server.connect(session.transport);
    const response = await session.transport.http.handleRequest(request, { parsedBody });
    // An initialize the SDK refused opened nothing: its server is not kept.
    if (session.transport.sessionId === undefined || !this.sessions.has(session.transport.sessionId))
      await server.close();
    return response;
  }

  /**
   * Handles a request of an open session; `onStreamClosed` is given for a GET so its open stream keeps the session
   * alive. Requests that need no stream are answered as JSON, the rest as the SDK's transport answers them.
   */
  async handle(
    session: Session,
    request: Request,
    parsedBody: unknown,
  ): Promise<{ response: Response; streamClosed?: () => void }> {
    session.lastActive = Date.now();
    const exchange = jsonExchangeOf(request, parsedBody);
    const answered = exchange && session.transport.exchange(exchange.messages, exchange.requestIds);
    if (answered) return { response: jsonAnswer(await answered, session.transport.sessionId) };
    const response = await session.transport.http.handleRequest(request, { parsedBody });
    if (request.method !== 'GET' || response.status !== 200) return { response };
    session.openStreams += 1;
    let closed = false;
    return {
      response,
      streamClosed: () => {
        if (closed) return;
        closed = true;
        session.openStreams -= 1;
        session.lastActive = Date.now();
      },
    };
  }

  private async forget(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.server.close();
  }

  private async closeIdle(): Promise<void> {
    const cutoff = Date.now() - this.options.idleMs;
    const idle = [...this.sessions.entries()].filter(
      ([, session]) => session.openStreams === 0 && session.lastActive < cutoff,
    );
    for (const [id] of idle) await this.forget(id);
    if (idle.length > 0)
      this.options.logger.info({ closed: idle.length, open: this.sessions.size }, 'closed idle MCP sessions');
  }

  /** Ends every session, its streams with it, so a shutdown does not wait for clients that stay connected. */
  async closeAll(): Promise<number> {
    clearInterval(this.sweep);
    const ids = [...this.sessions.keys()];
    await Promise.all(ids.map((id) => this.forget(id)));
    return ids.length;
  }
}
