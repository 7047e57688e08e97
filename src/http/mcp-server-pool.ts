import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { TokenIdentity } from '../auth/identity.js';
import { JsonExchangeTransport } from '../mcp/json-exchange-transport.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';

export interface McpServerPoolOptions {
  deps: McpServerDeps;
  /** Idle servers kept for reuse, over all identities; a server returned past it is dropped. */
  maxIdle: number;
}

interface Pooled {
  server: McpServer;
  transport: JsonExchangeTransport;
}

/**
 * A server is built for one identity (its tools are those the token's scopes allow, and what it starts is
 * recorded as that token's), so servers are only ever reused for the same name with the same scopes.
 */
function identityKey(identity: TokenIdentity): string {
  let key = KEYS.get(identity);
  if (key === undefined) {
    key = `${identity.name}\n${identity.scopes.join(',')}`;
    KEYS.set(identity, key);
  }
  return key;
}

/** A token's identity is one object for as long as the token is accepted: its key is built once, not per request. */
const KEYS = new WeakMap<TokenIdentity, string>();

/**
 * Stateless MCP servers kept for reuse: building one (and its transport) per request, and closing it after, was
 * most of the cost of a stateless tools/call. Nothing of one caller reaches the next:
 * - a server serves one exchange at a time (it is taken out of the pool for the request and put back after), so
 *   request ids, their in-flight cancellation and their abort signals belong to that request alone;
 * - it only ever sees requests that are not `initialize` (see jsonExchangeOf), so it never holds a client's
 *   capabilities, client info or protocol version: those stay with the SDK's one-off server for that request;
 * - it is built for and reused by one identity only (name and scopes).
 */
export class McpServerPool {
  private readonly idle = new Map<string, Pooled[]>();
  private idleCount = 0;

  constructor(private readonly options: McpServerPoolOptions) {}

  /** Serves one exchange on a server of this identity and resolves with the answers to its requests. */
  async answer(
    identity: TokenIdentity,
    messages: readonly JSONRPCMessage[],
    requestIds: readonly RequestId[],
  ): Promise<JSONRPCMessage[]> {
    const key = identityKey(identity);
    const pooled = this.take(key) ?? (await this.build(identity));
    // Never throws: a server is held by one request at a time, and jsonExchangeOf refuses repeated ids.
    const answers = await pooled.transport.exchange(messages, requestIds);
    this.give(key, pooled);
    return answers;
  }

  private take(key: string): Pooled | undefined {
    const servers = this.idle.get(key);
    const pooled = servers?.pop();
    if (!pooled) return undefined;
    this.idleCount -= 1;
    if (servers!.length === 0) this.idle.delete(key);
    return pooled;
  }

  private give(key: string, pooled: Pooled): void {
    if (this.idleCount >= this.options.maxIdle) return void pooled.server.close();
    const servers = this.idle.get(key);
    if (servers) servers.push(pooled);
    else this.idle.set(key, [pooled]);
    this.idleCount += 1;
  }

  private async build(identity: TokenIdentity): Promise<Pooled> {
    const server = createMcpServer(this.options.deps, identity);
    const transport = new JsonExchangeTransport();
    await server.connect(transport);
    return { server, transport };
  }
}
