import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/**
 * Closes the file descriptors above stderr that this process inherited without close-on-exec: they would pass on
 * to every process it starts, agents included (a socket, a pipe, a file its parent left open). Node opens its own
 * with close-on-exec, and keeps its IPC channel so, so these are only ever a parent's. Where there is no /proc
 * (not Linux) there is no sandbox either, and nothing is done.
 */
export function closeInheritedFds(): void {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  const channel = (process.channel as { fd?: number } | undefined)?.fd;
  for (const name of names) {
    const fd = Number(name);
    if (fd <= 2 || fd === channel) continue;
    const flags = fdFlags(fd);
    if (flags !== null && (flags & O_CLOEXEC) === 0) closeSync(fd);
  }
}

/** Null for a descriptor gone since the listing (the listing's own). */
function fdFlags(fd: number): number | null {
  try {
    const match = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return match ? parseInt(match[1]!, 8) : null;
  } catch {
    return null;
  }
}
