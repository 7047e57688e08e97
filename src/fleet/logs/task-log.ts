import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { removeAbandonedTempFiles } from '../../fs/atomic-file.js';
import { encodeJsonLines } from './json-lines.js';
import { forgetLineIndex, warmLineIndex } from './line-index.js';
import { readLogLines } from './log-tail.js';
import { trimLogFile } from './log-trim.js';
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
 * bound. Reading a log longer than that tail reads the file, in chunks and off the event loop. When the file holds
 * twice the cap, its oldest lines are dropped and its first line says how many, so the newest output is always kept;
 * at the end it holds at most the cap. Appends stay synchronous: the runner hands over output in small steps, and a
 * line in the file before its read offset is saved is what lets a restarted server resume without a gap. Trims copy
 * the file asynchronously while appends go on.
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
  private trimming: Promise<void> | null = null;
  private fd: number | null = null;

  constructor(private readonly options: TaskLogOptions) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    // A trim cut short by a crash leaves its copy beside the file.
    removeAbandonedTempFiles(options.file);
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
    const time = this.now();
    const taskId = this.options.taskId;
    // Each line's JSON is toJsonLine's, with only the text serialized per line.
    const head = `{"time":${JSON.stringify(time)},"stream":${JSON.stringify(stream)},"text":`;
    const end = `,"task_id":${JSON.stringify(taskId)}}\n`;
    const bytes = encodeJsonLines(head, texts, end);
    this.write(bytes);
    this.fileBytes += bytes.length;
    for (const text of texts) {
      const line: LogLine = { time, stream, text, task_id: taskId };
      this.tail.push(line);
      this.tailBytes += lineCost(line);
    }
    this.fileLines += texts.length;
    this.trimTail();
    if (this.fileBytes > 2 * this.options.capBytes) this.startTrim();
    this.options.onAppend?.();
  }

  /** The newest line, which memory always holds once there is one. */
  newestInMemory(): LogLine | undefined {
    return this.tail.length > this.tailHead ? this.tail.at(-1) : undefined;
  }

  /**
   * The `count` kept lines before the `skip` newest, oldest first: from memory when it holds them, else from the
   * file, read in chunks without holding up the event loop.
   */
  async newest(count: number, skip = 0): Promise<LogLine[]> {
    const inMemory = this.tail.length - this.tailHead;
    const end = this.tail.length - skip;
    if (skip + count <= inMemory) return this.tail.slice(end - count, end);
    if (inMemory === this.fileLines) {
      const all = this.tail.slice(this.tailHead);
      const kept = this.notice ? [this.notice, ...all] : all;
      const to = Math.max(0, kept.length - skip);
      return kept.slice(Math.max(0, to - count), to);
    }
    return readLogLines(this.options.file, skip, count);
  }

  /** Resolves once a trim under way, if any, has put its file in place. */
  async trimmed(): Promise<void> {
    await this.trimming;
  }

  /** Leaves the file holding at most the cap, so a finished task reads back what it showed while running. */
  async close(): Promise<void> {
    await this.trimmed();
    this.release();
    if (this.fileBytes <= this.options.capBytes) return;
    await this.trimFile();
    // The trim dropped the file's line index; a finished task's log is read next, so it is built now, in chunks,
    // rather than by the first request for a deep page.
    void warmLineIndex(this.options.file);
  }

  /** Closes the file held open for appends; the next append, if any, opens it again. */
  release(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /**
   * Appends through a file held open, rather than an open and a close per append, many per second in a flood; a
   * trim renames a new file over it, and the next append opens that one.
   */
  private write(bytes: Buffer): void {
    this.fd ??= openSync(this.options.file, 'a', 0o600);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
  }

  private now(): string {
    return (this.options.now?.() ?? new Date()).toISOString();
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

  /** Starts a trim unless one runs; a trim that fails leaves the file as it was, for the next append to try again. */
  private startTrim(): void {
    this.trimming ??= this.trimFile()
      .catch(() => {})
      .finally(() => (this.trimming = null));
  }

  /**
   * Drops the oldest lines of the file so that at most 90% of the cap is left, and puts the notice of how many lines
   * were dropped first. The file is copied in chunks off the event loop while the task goes on appending.
   */
  private trimFile(): Promise<void> {
    const noticeBytes = this.notice ? Buffer.byteLength(toJsonLine(this.notice)) : 0;
    let notice: LogLine | null = null;
    return trimLogFile({
      file: this.options.file,
      start: noticeBytes,
      size: this.fileBytes,
      keepBytes: Math.floor(this.options.capBytes * 0.9),
      currentSize: () => this.fileBytes,
      firstLine: (dropped, oldestKept) => {
        notice = this.noticeOf(this.dropped + dropped, timeOf(oldestKept) ?? this.now());
        return toJsonLine(notice);
      },
      swapped: ({ dropped, size }) => {
        this.dropped += dropped;
        this.fileLines -= dropped;
        this.fileBytes = size;
        this.notice = notice;
        this.release();
        forgetLineIndex(this.options.file);
        // The memory tail never holds a line the file no longer has, so both sources read the same log.
        while (this.tail.length - this.tailHead > this.fileLines) {
          this.tailBytes -= lineCost(this.tail[this.tailHead]!);
          this.tailHead += 1;
        }
      },
    });
  }

  private noticeOf(dropped: number, time: string): LogLine {
    return {
      time,
      stream: 'system',
      text: `[log capped at ${formatBytes(this.options.capBytes)}: ${dropped} earlier lines were dropped]`,
      task_id: this.options.taskId,
    };
  }
}

/** The time of a log line's JSON text; undefined for a torn line. */
function timeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as LogLine).time;
  } catch {
    return undefined;
  }
}

function toJsonLine(line: LogLine): string {
  return `${JSON.stringify(line)}\n`;
}

function lineCost(line: LogLine): number {
  // Strings are held as UTF-16 at worst: two bytes a character.
  return 2 * line.text.length + LINE_OVERHEAD_BYTES;
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
