import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { indexOf, markBefore } from './line-index.js';
import type { LogLine } from '../types.js';

const CHUNK_BYTES = 64 * 1024;
/** Up to this many of the newest lines are read backwards from the end; deeper ones through the line index. */
const TAIL_READ_LINES = 2000;
const NEWLINE = 0x0a;

/**
 * Lines of a task's JSONL log file, oldest first: the `count` lines before the `skip` newest. Only whole lines count;
 * one that is not JSON (a crash mid-write) is counted and left out. Reads are asynchronous and in chunks, and touch
 * only the part of the file the lines are in, so a page deep in a 10 MB log does not hold up other requests.
 */
export async function readLogLines(file: string, skip: number, count: number): Promise<LogLine[]> {
  if (count <= 0) return [];
  const handle = await openIfThere(file);
  if (!handle) return [];
  try {
    if (skip + count <= TAIL_READ_LINES) {
      const texts = await newestTexts(handle, skip + count);
      return parseAll(texts.slice(0, Math.max(0, texts.length - skip)));
    }
    const index = await indexOf(file, handle);
    const to = Math.max(0, index.lines - skip);
    const from = Math.max(0, to - count);
    return parseAll(await textsBetween(handle, index.bytes, markBefore(index, from), from, to));
  } finally {
    await handle.close();
  }
}

/** The newest `count` lines of the file, oldest first. */
export function readTaskLogTail(file: string, count: number): Promise<LogLine[]> {
  return readLogLines(file, 0, count);
}

async function openIfThere(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The texts of the newest `count` whole lines, oldest first, read backwards from the end in chunks. */
async function newestTexts(handle: FileHandle, count: number): Promise<string[]> {
  const size = (await handle.stat()).size;
  const newestFirst: string[] = [];
  let end = size;
  let carry = Buffer.alloc(0);
  let seenEnd = false;
  while (end > 0 && newestFirst.length < count) {
    const start = Math.max(0, end - CHUNK_BYTES);
    const chunk = Buffer.alloc(end - start);
    await handle.read(chunk, 0, chunk.length, start);
    let text = Buffer.concat([chunk, carry]);
    end = start;
    // What follows the last newline is a line still being written, or torn: not a line yet.
    if (!seenEnd) {
      const last = text.lastIndexOf(NEWLINE);
      if (last === -1 && start > 0) {
        carry = Buffer.alloc(0);
        continue;
      }
      text = text.subarray(0, last + 1);
      seenEnd = true;
    }
    // Before the first newline lies the end of a line that starts in an earlier chunk: it waits for that chunk.
    const firstNewline = start === 0 ? -1 : text.indexOf(NEWLINE);
    if (start > 0 && firstNewline === -1) {
      carry = text;
      continue;
    }
    carry = text.subarray(0, firstNewline + 1);
    const texts = text
      .subarray(firstNewline + 1)
      .toString('utf8')
      .split('\n');
    for (let index = texts.length - 1; index >= 0 && newestFirst.length < count; index -= 1)
      if (texts[index] !== '') newestFirst.push(texts[index]!);
  }
  return newestFirst.reverse();
}

/** The texts of lines [from, to), read forward from a mark at or before `from`, never past byte `limit`. */
async function textsBetween(
  handle: FileHandle,
  limit: number,
  mark: { line: number; offset: number },
  from: number,
  to: number,
): Promise<string[]> {
  const texts: string[] = [];
  let line = mark.line;
  let position = mark.offset;
  let partial = Buffer.alloc(0);
  const buffer = Buffer.alloc(CHUNK_BYTES);
  while (line < to && position < limit) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - position), position);
    if (bytesRead === 0) break;
    position += bytesRead;
    let start = 0;
    const chunk = buffer.subarray(0, bytesRead);
    for (let at = chunk.indexOf(NEWLINE); at !== -1 && line < to; at = chunk.indexOf(NEWLINE, at + 1)) {
      if (line >= from) texts.push(Buffer.concat([partial, chunk.subarray(start, at)]).toString('utf8'));
      partial = Buffer.alloc(0);
      line += 1;
      start = at + 1;
    }
    // A line that goes on into the next chunk is kept only when it is wanted.
    if (line >= from && line < to) partial = Buffer.concat([partial, chunk.subarray(start)]);
  }
  return texts;
}

function parseAll(texts: readonly string[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of texts) {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // A torn line from a crash.
    }
  }
  return lines;
}
