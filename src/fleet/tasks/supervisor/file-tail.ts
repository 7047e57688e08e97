import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LineSplitter, MAX_LINE_CHARS } from '../../logs/line-splitter.js';

/** At most this much is read per call, so a flood of output is taken in steps. */
const READ_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Follows a file an agent writes its output to, line by line. It only ever consumes whole lines (except the rest at
 * the end, or a line too long to wait for), so the offset it reports is a place a restarted server can resume at.
 */
export class FileTail {
  private fd: number | null = null;
  private readonly splitter = new LineSplitter();
  /** The file's size when last seen: any growth is a sign of life, a progress bar redrawn with \r as much as a line. */
  size = 0;

  constructor(
    private readonly file: string,
    public offset: number,
  ) {}

  /** The whole lines written since the last call (up to byte `until`); with `final`, everything left. */
  read(final = false, until = Infinity): string[] {
    const fd = this.open();
    if (fd === null) return [];
    this.size = fstatSync(fd).size;
    const end = Math.min(this.size, until);
    const lines: string[] = [];
    while (this.offset < end) {
      const buffer = Buffer.alloc(Math.min(READ_BYTES, end - this.offset));
      const got = readSync(fd, buffer, 0, buffer.length, this.offset);
      const chunk = buffer.subarray(0, got);
      let take = final ? chunk.length : chunk.lastIndexOf(NEWLINE) + 1;
      if (take === 0 && chunk.length >= 4 * MAX_LINE_CHARS) take = chunk.length;
      if (take === 0) break;
      lines.push(...this.splitter.push(chunk.subarray(0, take)));
      this.offset += take;
      if (got < buffer.length) break;
    }
    if (final) lines.push(...this.splitter.end());
    return lines;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number | null {
    if (this.fd === null) {
      try {
        this.fd = openSync(this.file, 'r');
      } catch {
        return null;
      }
    }
    return this.fd;
  }
}
