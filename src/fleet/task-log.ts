import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import type { LogLine, LogStream } from './types.js';

export const DEFAULT_LOG_CAP_BYTES = 10 * 1024 * 1024;

interface Entry {
  line: LogLine;
  json: string;
  bytes: number;
}

/**
 * The log of a running task: kept in memory for reading and appended to its file as it arrives. When it grows past
 * the cap the oldest lines are dropped and a first line says how many, so the newest output is always kept. The
 * file is rewritten from memory whenever it holds twice the cap, which bounds the disk use too.
 */
export class TaskLog {
  private readonly entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private fileBytes = 0;
  private dropped = 0;
  private droppedNotice: Entry | null = null;

  constructor(
    private readonly options: { file: string; taskId: string; capBytes: number; now?: () => Date; existing?: LogLine[] },
  ) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    // A task followed again after a restart continues the log its file already holds.
    for (const line of options.existing ?? []) {
      const entry = toEntry(line);
      this.entries.push(entry);
      this.bytes += entry.bytes;
      this.fileBytes += entry.bytes;
    }
  }

  get lineCount(): number {
    return this.entries.length - this.head + (this.droppedNotice ? 1 : 0);
  }

  /** Adds lines of one stream, with one write to disk. */
  append(stream: LogStream, texts: readonly string[]): void {
    if (texts.length === 0) return;
    const time = (this.options.now?.() ?? new Date()).toISOString();
    const added = texts.map((text) => toEntry({ time, stream, text, task_id: this.options.taskId }));
    const chunk = added.map((entry) => entry.json).join('');
    for (const entry of added) {
      this.entries.push(entry);
      this.bytes += entry.bytes;
    }
    appendFileSync(this.options.file, chunk);
    this.fileBytes += Buffer.byteLength(chunk);
    if (this.bytes > this.options.capBytes) this.dropOldest();
    if (this.fileBytes > 2 * this.options.capBytes) this.rewriteFile();
  }

  /** All kept lines, oldest first. */
  lines(): LogLine[] {
    const kept = this.entries.slice(this.head).map((entry) => entry.line);
    return this.droppedNotice ? [this.droppedNotice.line, ...kept] : kept;
  }

  /** Leaves the file holding exactly the kept lines, so a finished task reads back what it showed while running. */
  close(): void {
    if (this.dropped > 0) this.rewriteFile();
  }

  private dropOldest(): void {
    const target = this.options.capBytes * 0.9;
    while (this.bytes > target && this.head < this.entries.length - 1) {
      this.bytes -= this.entries[this.head]!.bytes;
      this.head += 1;
      this.dropped += 1;
    }
    // Reclaim the dropped prefix only now and then, so dropping stays cheap per line.
    if (this.head > 4096 && this.head > this.entries.length / 2) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    const oldest = this.entries[this.head]!.line.time;
    this.droppedNotice = toEntry({
      time: oldest,
      stream: 'system',
      text: `[log capped at ${formatBytes(this.options.capBytes)}: ${this.dropped} earlier lines were dropped]`,
      task_id: this.options.taskId,
    });
  }

  private rewriteFile(): void {
    const content = (this.droppedNotice?.json ?? '') + this.entries.slice(this.head).map((entry) => entry.json).join('');
    writeFileAtomicSync(this.options.file, content);
    this.fileBytes = Buffer.byteLength(content);
  }
}

function toEntry(line: LogLine): Entry {
  const json = `${JSON.stringify(line)}\n`;
  return { line, json, bytes: Buffer.byteLength(json) };
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
      continue;
    }
  }
  return lines;
}

/** Appends one line to a finished task's log file (e.g. why it ended after a restart). */
export function appendToTaskLogFile(file: string, line: LogLine): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, toEntry(line).json);
}
