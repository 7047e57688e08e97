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
  /** True when the last read stopped at its byte budget with more whole output waiting. */
  more = false;

  constructor(
    private readonly file: string,
    public offset: number,
  ) {}

  /**
   * The whole lines written since the last call (up to byte `until`); with `final`, everything left. With a budget,
   * it stops once that many bytes are taken, so a flood is taken in steps that leave the event loop free between.
   */
  read(final = false, until = Infinity, budget = Infinity): string[] {
    this.more = false;
    const fd = this.open();
    if (fd === null) return [];
    this.size = fstatSync(fd).size;
    const end = Math.min(this.size, until);
    const lines: string[] = [];
    const start = this.offset;
    let step = Math.min(READ_BYTES, budget);
    while (this.offset < end) {
      if (this.offset - start >= budget) {
        this.more = true;
        break;
      }
      const buffer = Buffer.alloc(Math.min(READ_BYTES, end - this.offset, step));
      const got = readSync(fd, buffer, 0, buffer.length, this.offset);
      const chunk = buffer.subarray(0, got);
      let take = final ? chunk.length : chunk.lastIndexOf(NEWLINE) + 1;
      if (take === 0 && chunk.length >= 4 * MAX_LINE_CHARS) take = chunk.length;
      // A long line: look further for its end, as far as a line is ever waited for.
      if (take === 0 && got === buffer.length && got < 4 * MAX_LINE_CHARS && end - this.offset > got) {
        step = 4 * MAX_LINE_CHARS;
        continue;
      }
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
