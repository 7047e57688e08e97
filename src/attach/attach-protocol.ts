import { join } from 'node:path';
import * as z from 'zod';

/**
 * How a `fleet-mcp stdio` process attaches to the fleet that runs on its data dir (a `serve`, or a background host that
 * stdio clients started): a Unix socket in the data dir, which only the data dir's owner can reach, and which serves
 * only clients in the fleet's own network namespace (client-namespace.ts). The client says hello in one JSON line, the
 * fleet answers in one, and from then on the socket carries the MCP client's messages as they are, one JSON-RPC message
 * per line, as over stdio.
 */
export const ATTACH_PROTOCOL = 1;

/** Linux's limit on a socket's path (sun_path), less its closing zero byte. */
const MAX_SOCKET_PATH_BYTES = 107;

export const helloSchema = z.strictObject({
  fleet_mcp_attach: z.literal(ATTACH_PROTOCOL),
  /** The folder the client was started in: a project when the fleet config names none. */
  cwd: z.string().min(1).max(4096).startsWith('/'),
  version: z.string().max(64),
});
export type Hello = z.infer<typeof helloSchema>;

export const replySchema = z.union([
  z.strictObject({ fleet_mcp_attached: z.literal(ATTACH_PROTOCOL), version: z.string().max(64) }),
  z.strictObject({ fleet_mcp_refused: z.string().max(2000) }),
]);
export type Reply = z.infer<typeof replySchema>;

/** A hello or reply line longer than this is not one. */
export const MAX_HANDSHAKE_BYTES = 8192;

/** The socket's path, or why the data dir cannot have one. */
export function fleetSocketPath(dataDir: string): { path: string } | { problem: string } {
  const path = join(dataDir, 'fleet.sock');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    return {
      problem: `the data dir path ${dataDir} is too long for the local socket that shares one fleet between clients (${Buffer.byteLength(path)} of at most ${MAX_SOCKET_PATH_BYTES} bytes with /fleet.sock); choose a shorter FLEET_MCP_DATA_DIR`,
    };
  }
  return { path };
}
