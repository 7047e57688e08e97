import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * The text of a small regular file the server wrote where an agent may reach (a task's run dir); null when it is
 * missing, not a regular file, a symlink, or over `maxBytes`. Opened non-blocking: a FIFO put in its place would
 * otherwise block the event loop until someone writes to it.
 */
export function readRegularFile(file: string, maxBytes: number): string | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() && stat.size <= maxBytes ? readFileSync(fd, 'utf8') : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
