import { fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';

/** The Unix sockets of the reading process's network namespace, one a line; the inode is the seventh field. */
const NAMESPACE_SOCKETS = '/proc/self/net/unix';

// Num: RefCount Protocol Flags Type St Inode [Path]; the path may be absent, and may hold anything.
const SOCKET_LINE = /^[0-9a-f]+: [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{8} [0-9A-F]{4} [0-9A-F]{2} +(\d+)(?: |$)/;

export type ClientNamespace = 'same' | 'other' | { problem: string };

/**
 * Whether the client of an accepted Unix socket connection is in this process's network namespace. The kernel makes
 * the server's end of a connection in the namespace of the client that connected, and lists in /proc/self/net/unix
 * only the sockets of the reader's namespace; every agent sandbox has its own (bwrap --unshare-net), so a sandboxed
 * client's connection is not listed there, whatever it can see of the filesystem. Node cannot read SO_PEERCRED; this
 * asks nothing of the client, so clients of every version are judged alike.
 */
export async function clientNamespace(socket: Socket): Promise<ClientNamespace> {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { problem: 'the connection has no file descriptor to look up' };
  let inode: string;
  let listing: string;
  try {
    inode = fstatSync(fd, { bigint: true }).ino.toString();
    listing = await readFile(NAMESPACE_SOCKETS, 'utf8');
  } catch (error) {
    return { problem: `cannot read which sockets are in this network namespace: ${(error as Error).message}` };
  }
  return listsInode(listing, inode) ? 'same' : 'other';
}

/** Whether a line of the listing has this inode in its inode field; only the lines holding the number are parsed. */
function listsInode(listing: string, inode: string): boolean {
  for (let at = listing.indexOf(` ${inode}`); at !== -1; at = listing.indexOf(` ${inode}`, at + 1)) {
    const start = listing.lastIndexOf('\n', at) + 1;
    const end = listing.indexOf('\n', at);
    if (SOCKET_LINE.exec(listing.slice(start, end === -1 ? undefined : end))?.[1] === inode) return true;
  }
  return false;
}
