import { randomBytes } from 'node:crypto';
import { readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

export interface TrimPlan {
  file: string;
  /** Where the first line that may be dropped starts (past a notice of lines dropped before). */
  start: number;
  /** The file's size when the trim starts; it ends with a whole line. */
  size: number;
  /** Bytes of the newest lines to keep, at most (the newest line is kept even when longer). */
  keepBytes: number;
  /** The file's size now: lines appended while the trim runs are carried over to the new file. */
  currentSize(): number;
  /** The first line of the new file, given how many lines go and the first line kept. */
  firstLine(dropped: number, oldestKept: string): string;
  /** Told in the same turn of the event loop as the new file is put in place, before any other append. */
  swapped(result: TrimResult): void;
}

export interface TrimResult {
  dropped: number;
  /** The new file's size. */
  size: number;
}

/**
 * Drops the oldest lines of a log file without reading it whole or blocking the event loop: the newest bytes are
 * copied in chunks into a new file that starts with the given first line, what was appended meanwhile is copied
 * after them, and the new file is renamed over the old one. Only the last, small remainder is copied synchronously,
 * so no append can fall between the copy and the rename.
 */
export async function trimLogFile(plan: TrimPlan): Promise<void> {
  const source = await open(plan.file, 'r');
  const temp = join(dirname(plan.file), `.${basename(plan.file)}.${randomBytes(6).toString('hex')}.tmp`);
  let target: FileHandle | undefined;
  try {
    const cut = await cutAt(source, plan);
    const dropped = await countNewlines(source, plan.start, cut);
    const first = Buffer.from(plan.firstLine(dropped, await lineAt(source, cut)));
    target = await open(temp, 'wx', 0o600);
    await target.chmod(0o600);
    await target.write(first, 0, first.length, 0);
    let copied = plan.size;
    let written = first.length + (await copy(source, target, cut, copied, first.length));
    while (plan.currentSize() - copied > CHUNK_BYTES) {
      const now = plan.currentSize();
      written += await copy(source, target, copied, now, written);
      copied = now;
    }
    await target.sync();
    const fd = target.fd;
    const remainder = Buffer.alloc(plan.currentSize() - copied);
    readSync(source.fd, remainder, 0, remainder.length, copied);
    writeSync(fd, remainder, 0, remainder.length, written);
    renameSync(temp, plan.file);
    plan.swapped({ dropped, size: written + remainder.length });
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  } finally {
    await target?.close();
    await source.close();
  }
}

/** The start of the first line that ends at or after `size - keepBytes`; the newest line's start if that is the end. */
async function cutAt(source: FileHandle, plan: TrimPlan): Promise<number> {
  const from = plan.size - plan.keepBytes - 1;
  if (from < plan.start) return plan.start;
  const newline = await nextNewline(source, from, plan.size);
  const cut = newline + 1;
  if (cut < plan.size) return cut;
  return Math.max(plan.start, (await previousNewline(source, plan.size - 2, plan.start)) + 1);
}

async function nextNewline(source: FileHandle, from: number, end: number): Promise<number> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (let position = from; position < end; position += CHUNK_BYTES) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position);
    const at = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
    if (at !== -1) return position + at;
  }
  return end - 1;
}

/** The last newline at or before `from`, or start - 1 when there is none after `start`. */
async function previousNewline(source: FileHandle, from: number, start: number): Promise<number> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (let end = from + 1; end > start; end -= CHUNK_BYTES) {
    const position = Math.max(start, end - CHUNK_BYTES);
    const { bytesRead } = await source.read(buffer, 0, end - position, position);
    const at = buffer.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (at !== -1) return position + at;
  }
  return start - 1;
}

async function countNewlines(source: FileHandle, from: number, to: number): Promise<number> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  let count = 0;
  for (let position = from; position < to; position += CHUNK_BYTES) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(CHUNK_BYTES, to - position), position);
    const chunk = buffer.subarray(0, bytesRead);
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) count += 1;
  }
  return count;
}

/** The text of the line that starts at `offset`. */
async function lineAt(source: FileHandle, offset: number): Promise<string> {
  const parts: Buffer[] = [];
  const buffer = Buffer.alloc(CHUNK_BYTES);
  for (let position = offset; ; position += CHUNK_BYTES) {
    const { bytesRead } = await source.read(buffer, 0, CHUNK_BYTES, position);
    const chunk = buffer.subarray(0, bytesRead);
    const at = chunk.indexOf(NEWLINE);
    parts.push(Buffer.from(at === -1 ? chunk : chunk.subarray(0, at)));
    if (at !== -1 || bytesRead === 0) return Buffer.concat(parts).toString('utf8');
  }
}

/** Copies bytes [from, to) of the source to the target at `at`; returns how many. */
async function copy(source: FileHandle, target: FileHandle, from: number, to: number, at: number): Promise<number> {
  const buffer = Buffer.alloc(CHUNK_BYTES);
  let written = 0;
  for (let position = from; position < to; ) {
    const { bytesRead } = await source.read(buffer, 0, Math.min(CHUNK_BYTES, to - position), position);
    if (bytesRead === 0) break;
    await target.write(buffer, 0, bytesRead, at + written);
    written += bytesRead;
    position += bytesRead;
  }
  return written;
}
