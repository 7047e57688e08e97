import type { McpServer } from '@modelcontextprotocol/server';
import type { TokenIdentity } from '../auth/identity.js';
import { createModernMcpServer } from '../mcp/modern/modern-server.js';
import type { McpServerDeps } from '../mcp/server.js';

export interface ModernServerPoolOptions {
  deps: McpServerDeps;
  /** Idle servers kept for reuse, over all identities; a server that ends an exchange past it is dropped. */
  maxIdle: number;
}

/** Servers are built for one identity (its tools, and the tasks it sees), so only the same name and scopes share. */
function identityKey(identity: TokenIdentity): string {
  return `${identity.name}\n${identity.scopes.join(',')}`;
}

/**
 * 2026-07-28 servers kept for reuse by the v2 SDK's per-request handler: building one per request, with its tools'
 * JSON Schemas converted again, was over half of what a modern call cost beyond a 2025-era one. Nothing of one
 * request reaches the next:
 * - a server is handed out idle and comes back only when the SDK closes its exchange (the SDK refuses one that is
 *   still connected), so request ids, abort signals and in-flight handlers belong to one request; a server the SDK
 *   gives up on before connecting it is dropped, never handed out twice;
 * - the SDK sets the revision and the envelope's client capabilities on each exchange (client info only where the
 *   envelope has it; nothing here reads it), and the tools read capabilities from the request's envelope, never
 *   from the server;
 * - it is built for and reused by one identity only (name and scopes).
 */
export class ModernServerPool {
  private readonly idle = new Map<string, McpServer[]>();
  private idleCount = 0;

  constructor(private readonly options: ModernServerPoolOptions) {}

  /** An idle server of this identity, or a new one; it returns to the pool when its exchange closes. */
  take(identity: TokenIdentity): McpServer {
    const key = identityKey(identity);
    const servers = this.idle.get(key);
    const server = servers?.pop();
    if (!server) return this.build(key, identity);
    this.idleCount -= 1;
    if (servers!.length === 0) this.idle.delete(key);
    return server;
  }

  private build(key: string, identity: TokenIdentity): McpServer {
    const server = createModernMcpServer(this.options.deps, identity);
    // The SDK chains its own per-exchange close hook in front of this one and restores it after.
    server.server.onclose = () => this.give(key, server);
    return server;
  }

  private give(key: string, server: McpServer): void {
    if (this.idleCount >= this.options.maxIdle) return;
    const servers = this.idle.get(key);
    if (servers) servers.push(server);
    else this.idle.set(key, [server]);
    this.idleCount += 1;
  }
}
