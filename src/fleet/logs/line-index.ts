import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/** Bytes read per step while scanning: each step is one short piece of work between reads on the thread pool. */
export const SCAN_CHUNK_BYTES = 256 * 1024;
/** A mark at least every this many lines and, at the next line start, every this many bytes. */
const MARK_LINES = 256;
const MARK_BYTES = 64 * 1024;
/** Files whose index is kept; an index of a 20 MB log is a few hundred marks. */
const KEPT_INDEXES = 128;
const NEWLINE = 0x0a;

/**
 * Where some lines of a log file start: a mark every few hundred lines or tens of kilobytes, so reaching any line
 * reads at most that much before it. Only whole lines (ending in a newline) are counted: a torn or half-written
 * last line is not a line yet.
 */
export interface LineIndex {
  /** Which file it indexes: an inode number alone may come back for a later file. */
  ino: number;
  birthtimeMs: number;
  /** Bytes scanned, up to the end of the last whole line. */
  bytes: number;
  lines: number;
  /** Line number and byte offset of each mark; the first is line 0 at byte 0. */
  markLines: number[];
  markOffsets: number[];
}

const indexes = new Map<string, LineIndex>();
const pending = new Map<string, Promise<LineIndex>>();

/**
 * The index of an open log file, brought up to date: extended over what was appended since, or built again when
 * the file was replaced (a trim renames a new file in) or shrank. Scans for one file run one at a time.
 */
export function indexOf(file: string, handle: FileHandle): Promise<LineIndex> {
  const before = pending.get(file) ?? Promise.resolve(undefined);
  const next = before.then(
    () => update(file, handle),
    () => update(file, handle),
  );
  pending.set(file, next);
  void next.finally(() => pending.get(file) === next && pending.delete(file)).catch(() => {});
  return next;
}

/** Builds the index of a file before anyone reads it; a file that cannot be read is left to the read that fails. */
export async function warmLineIndex(file: string): Promise<void> {
  try {
    const handle = await open(file, 'r');
    try {
      await indexOf(file, handle);
    } finally {
      await handle.close();
    }
  } catch {
    // Nobody waits on it: the read that needs the index builds it, or reports the file's error.
  }
}

/** Drops the index of a file that was replaced (a trim), so the next read builds it afresh. */
export function forgetLineIndex(file: string): void {
  indexes.delete(file);
}

async function update(file: string, handle: FileHandle): Promise<LineIndex> {
  const stat = await handle.stat();
  let index = indexes.get(file);
  if (!index || index.ino !== stat.ino || index.birthtimeMs !== stat.birthtimeMs || stat.size < index.bytes)
    index = { ino: stat.ino, birthtimeMs: stat.birthtimeMs, bytes: 0, lines: 0, markLines: [0], markOffsets: [0] };
  await scan(handle, index, stat.size);
  indexes.delete(file);
  indexes.set(file, index);
  // The oldest-used index goes first.
  if (indexes.size > KEPT_INDEXES) indexes.delete(indexes.keys().next().value!);
  return index;
}

async function scan(handle: FileHandle, index: LineIndex, size: number): Promise<void> {
  const buffer = Buffer.alloc(SCAN_CHUNK_BYTES);
  let position = index.bytes;
  while (position < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) {
      index.lines += 1;
      index.bytes = position + at + 1;
      const lastLine = index.markLines.at(-1)!;
      const lastOffset = index.markOffsets.at(-1)!;
      if (index.lines - lastLine >= MARK_LINES || index.bytes - lastOffset >= MARK_BYTES) {
        index.markLines.push(index.lines);
        index.markOffsets.push(index.bytes);
      }
    }
    position += bytesRead;
  }
}

/** The mark at or before line `line`: the place to start reading forward from. */
export function markBefore(index: LineIndex, line: number): { line: number; offset: number } {
  let low = 0;
  let high = index.markLines.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (index.markLines[middle]! <= line) low = middle;
    else high = middle - 1;
  }
  return { line: index.markLines[low]!, offset: index.markOffsets[low]! };
}
