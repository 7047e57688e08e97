import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

// Writing a temp file takes milliseconds; one this old was left by a writer killed before it put the file in place.
const ABANDONED_TEMP_MS = 60_000;

function tempPrefix(file: string): string {
  return `.${basename(file)}.`;
}

/**
 * Writes the whole content to a new 0600 temp file beside `file` and, unless `flush` is false, flushes it to disk;
 * the caller puts it in place (rename, or link for an exclusive create). Every temp name is fresh, so concurrent
 * writers never meet.
 */
export function writeTempFile(file: string, content: string | Uint8Array, { flush = true } = {}): string {
  const temp = join(dirname(file), `${tempPrefix(file)}${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    // The mode given to open is reduced by the umask; secrets and state must not depend on it.
    fchmodSync(fd, 0o600);
    writeFileSync(fd, content);
    if (flush) fsyncSync(fd);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * Removes the temp files of `file` that writers killed mid-write (kill -9, power loss) left behind, since nobody
 * will ever read them and they may hold a secret. Younger ones are spared: they may belong to a writer at work.
 * Best effort: a directory that cannot be listed, or a file that cannot be removed, is left as it is.
 */
export function removeAbandonedTempFiles(file: string): void {
  const dir = dirname(file);
  const prefix = tempPrefix(file);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const temp = join(dir, entry);
    try {
      if (Date.now() - statSync(temp).mtimeMs > ABANDONED_TEMP_MS) rmSync(temp, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/** Makes a rename or link in `dir` durable across a power loss. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `file` so that a reader (or a restart after kill -9) sees either the old or the new content, never
 * a mix: write a temp file in the same directory, fsync it, rename it over the target, fsync the directory.
 * Synchronous on purpose: the files are small, and ordering the writes is then free.
 */
export function writeFileAtomicSync(file: string, content: string | Uint8Array): void {
  renameInPlace(writeTempFile(file, content), file);
  fsyncDirectory(dirname(file));
}

/** Renames a temp file over `file`; the temp file is removed if that fails. */
function renameInPlace(temp: string, file: string): void {
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Replaces `file` atomically for its readers and against the writer's death, without flushing it to disk: for state
 * that matters only while processes run that a power loss would end too, written often enough that two fsyncs a
 * write would hold up the event loop.
 */
export function replaceFileSync(file: string, content: string): void {
  renameInPlace(writeTempFile(file, content, { flush: false }), file);
}

/**
 * writeFileAtomicSync off the event loop: the same temp file, fsync, rename and directory fsync, each in libuv's
 * thread pool. Two calls for one file may land in either order: the caller orders them (see StateFileWriter).
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(file), `${tempPrefix(file)}${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectoryAsync(dirname(file));
}

async function fsyncDirectoryAsync(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // As fsyncDirectory: where a directory cannot be fsynced, the rename is still atomic.
  }
}
