import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from '../../fs/atomic-file.js';
import { readTaskLogTail } from './log-tail.js';
import type { LogLine, LogStream } from '../types.js';

/** The log kept on disk per task; the oldest lines go first. */
export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;
/** The newest lines of a running task kept in memory, by estimated memory use and by count, whichever is hit first. */
export const DEFAULT_TAIL_BYTES = 1024 * 1024;
export const DEFAULT_TAIL_LINES = 5000;
/**
 * What a kept line costs in memory beside its text: its object, its time string and the array slot. Counting it
 * keeps a flood of 2-byte lines from holding millions of objects inside a byte budget meant for text.
 */
export const LINE_OVERHEAD_BYTES = 128;

const NEWLINE = 0x0a;

export interface TaskLogOptions {
  file: string;
  taskId: string;
  /** Bytes of log kept on disk; a running task's file may hold twice this between trims. */
  capBytes: number;
  /** Estimated memory of the newest lines kept for reading without the disk. Default DEFAULT_TAIL_BYTES. */
  tailBytes?: number;
  /** Lines kept in memory at most. Default DEFAULT_TAIL_LINES. */
  tailLines?: number;
  now?: () => Date;
  /** Told after each append, so readers of the log can be notified. */
  onAppend?: () => void;
  /** Lines the file already holds (a task followed again after a restart, or its worktree setup's output). */
  earlier?: readonly LogLine[];
}

/**
 * The log of a running task. Every line is appended to its file as it arrives; only the newest lines stay in memory,
 * bounded by bytes (text plus a per-line overhead) and by count, so no output can grow the server's memory without
 * bound. Reading a log longer than that tail reads the file. When the file holds twice the cap, its oldest lines are
 * dropped and its first line says how many, so the newest output is always kept; at the end it holds at most the cap.
 */
export class TaskLog {
  private tail: LogLine[] = [];
  private tailHead = 0;
  private tailBytes = 0;
  /** Output lines in the file, the notice of dropped lines not counted. */
  private fileLines = 0;
  private fileBytes = 0;
  private dropped = 0;
  private notice: LogLine | null = null;

  constructor(private readonly options: TaskLogOptions) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    // Already in the file: counted and kept in memory like the task's own lines, not written again.
    for (const line of options.earlier ?? []) {
      this.fileLines += 1;
      this.fileBytes += Buffer.byteLength(toJsonLine(line));
      this.tail.push(line);
      this.tailBytes += lineCost(line);
    }
    this.trimTail();
  }

  get lineCount(): number {
    return this.fileLines + (this.notice ? 1 : 0);
  }

  /** The lines held in memory and their estimated size. */
  get memory(): { lines: number; bytes: number } {
    return { lines: this.tail.length - this.tailHead, bytes: this.tailBytes };
  }

  /** Adds lines of one stream, with one write to disk. */
  append(stream: LogStream, texts: readonly string[]): void {
    if (texts.length === 0) return;
    const time = (this.options.now?.() ?? new Date()).toISOString();
    const added = texts.map((text): LogLine => ({ time, stream, text, task_id: this.options.taskId }));
    const chunk = added.map(toJsonLine).join('');
    appendFileSync(this.options.file, chunk);
    this.fileBytes += Buffer.byteLength(chunk);
    this.fileLines += added.length;
    for (const line of added) {
      this.tail.push(line);
      this.tailBytes += lineCost(line);
    }
    this.trimTail();
    if (this.fileBytes > 2 * this.options.capBytes) this.trimFile();
    this.options.onAppend?.();
  }

  /** The newest `count` kept lines, oldest first: from memory when it holds them, else from the end of the file. */
  newest(count: number): LogLine[] {
    const inMemory = this.tail.length - this.tailHead;
    if (count <= inMemory) return this.tail.slice(this.tail.length - count);
    if (inMemory === this.fileLines) {
      const all = this.tail.slice(this.tailHead);
      return this.notice ? [this.notice, ...all] : all;
    }
    return readTaskLogTail(this.options.file, count);
  }

  /** Leaves the file holding at most the cap, so a finished task reads back what it showed while running. */
  close(): void {
    if (this.fileBytes > this.options.capBytes) this.trimFile();
  }

  private trimTail(): void {
    const maxBytes = this.options.tailBytes ?? DEFAULT_TAIL_BYTES;
    const maxLines = this.options.tailLines ?? DEFAULT_TAIL_LINES;
    while (
      this.tailHead < this.tail.length &&
      (this.tailBytes > maxBytes || this.tail.length - this.tailHead > maxLines)
    ) {
      this.tailBytes -= lineCost(this.tail[this.tailHead]!);
      this.tailHead += 1;
    }
    // Reclaim the evicted prefix only now and then, so evicting stays cheap per line.
    if (this.tailHead > 1024 && this.tailHead > this.tail.length / 2) {
      this.tail = this.tail.slice(this.tailHead);
      this.tailHead = 0;
    }
  }

  /**
   * Drops the oldest lines of the file so that at most 90% of the cap is left, working on its bytes rather than on
   * one object per line, and puts the notice of how many lines were dropped first.
   */
  private trimFile(): void {
    const content = readFileSync(this.options.file);
    const start = this.notice ? content.indexOf(NEWLINE) + 1 : 0;
    const target = Math.floor(this.options.capBytes * 0.9);
    let cut = content.length - target <= start ? start : content.indexOf(NEWLINE, content.length - target - 1) + 1;
    // Keep the newest line even when it alone is over the target.
    if (cut >= content.length) cut = Math.max(start, content.lastIndexOf(NEWLINE, content.length - 2) + 1);
    const dropped = countLines(content, start, cut);
    const kept = content.subarray(cut);
    this.dropped += dropped;
    this.fileLines -= dropped;
    const oldest = JSON.parse(kept.subarray(0, kept.indexOf(NEWLINE)).toString('utf8')) as LogLine;
    this.notice = {
      time: oldest.time,
      stream: 'system',
      text: `[log capped at ${formatBytes(this.options.capBytes)}: ${this.dropped} earlier lines were dropped]`,
      task_id: this.options.taskId,
    };
    const noticeBytes = Buffer.from(toJsonLine(this.notice));
    writeFileAtomicSync(this.options.file, Buffer.concat([noticeBytes, kept]));
    this.fileBytes = noticeBytes.length + kept.length;
    // The memory tail never holds a line the file no longer has, so both sources read the same log.
    while (this.tail.length - this.tailHead > this.fileLines) {
      this.tailBytes -= lineCost(this.tail[this.tailHead]!);
      this.tailHead += 1;
    }
  }
}

function toJsonLine(line: LogLine): string {
  return `${JSON.stringify(line)}\n`;
}

function lineCost(line: LogLine): number {
  // Strings are held as UTF-16 at worst: two bytes a character.
  return 2 * line.text.length + LINE_OVERHEAD_BYTES;
}

function countLines(content: Buffer, from: number, to: number): number {
  let count = 0;
  for (
    let index = content.indexOf(NEWLINE, from);
    index !== -1 && index < to;
    index = content.indexOf(NEWLINE, index + 1)
  )
    count += 1;
  return count;
}

function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${Number(mb.toFixed(1))} MB` : `${bytes} bytes`;
}

/** Reads a finished task's log file; a torn last line from a crash is skipped, a missing file is an empty log. */
export function readTaskLogFile(file: string): LogLine[] {
  if (!existsSync(file)) return [];
  const lines: LogLine[] = [];
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text === '') continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a torn last line from a crash
    }
  }
  return lines;
}

/** Appends one line to a finished task's log file (e.g. why it ended after a restart). */
export function appendToTaskLogFile(file: string, line: LogLine): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, toJsonLine(line));
}
