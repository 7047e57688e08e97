import { closeSync, existsSync, openSync, readSync, fstatSync } from 'node:fs';
import type { LogLine } from '../types.js';

const CHUNK_BYTES = 64 * 1024;

/**
 * The newest `count` lines of a task's JSONL log file, oldest first, read backwards from its end in chunks, so
 * the tail of a 10 MB log costs what the tail holds. A torn line (a crash mid-write) is skipped, as a full read does.
 */
export function readTaskLogTail(file: string, count: number): LogLine[] {
  if (count <= 0 || !existsSync(file)) return [];
  const fd = openSync(file, 'r');
  try {
    const newestFirst: LogLine[] = [];
    let end = fstatSync(fd).size;
    let carry = Buffer.alloc(0);
    while (end > 0 && newestFirst.length < count) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const chunk = Buffer.alloc(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const text = Buffer.concat([chunk, carry]);
      end = start;
      // Before the first newline lies the end of a line that starts in an earlier chunk: it waits for that chunk.
      const firstNewline = start === 0 ? -1 : text.indexOf(0x0a);
      if (start > 0 && firstNewline === -1) {
        carry = text;
        continue;
      }
      carry = text.subarray(0, firstNewline + 1);
      const texts = text
        .subarray(firstNewline + 1)
        .toString('utf8')
        .split('\n');
      for (let index = texts.length - 1; index >= 0 && newestFirst.length < count; index -= 1) {
        const line = parseLine(texts[index]!);
        if (line) newestFirst.push(line);
      }
    }
    return newestFirst.reverse();
  } finally {
    closeSync(fd);
  }
}

function parseLine(text: string): LogLine | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as LogLine;
  } catch {
    return undefined;
  }
}
