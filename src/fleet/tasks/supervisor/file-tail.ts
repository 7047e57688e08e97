import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LineSplitter, MAX_LINE_CHARS } from '../../logs/line-splitter.js';

/** At most this much is read per call, so a flood of output is taken in steps. */
const READ_BYTES = 4 * 1024 * 1024;
/** A read buffer up to this size is kept for the next read; a larger one (a final read, a replay) is not. */
const KEPT_BUFFER_BYTES = 4 * MAX_LINE_CHARS;
const NEWLINE = 0x0a;

/**
 * Follows a file an agent writes its output to, line by line. It only ever consumes whole lines (except the rest at
 * the end, or a line too long to wait for), so the offset it reports is a place a restarted server can resume at.
 */
export class FileTail {
  private fd: number | null = null;
  private readonly splitter = new LineSplitter();
  /** Reused from step to step: a flood is read in many small steps, each of which would allocate one. */
  private buffer = Buffer.alloc(0);
  /** True when the last read stopped at its budget, with more output possibly waiting. */
  more = false;

  constructor(
    private readonly file: string,
    public offset: number,
  ) {}

  /**
   * The whole lines written since the last call (up to byte `until`); with `final`, everything left. With a budget,
   * it makes one read of that many bytes (of more for a line that long), so a flood is taken in steps that leave the
   * event loop free between them. The file is read up to where a read comes back short, without asking its size.
   */
  read(final = false, until = Infinity, budget = Infinity): string[] {
    this.more = false;
    const fd = this.open();
    if (fd === null) return [];
    const lines: string[] = [];
    let step = Math.min(READ_BYTES, budget);
    while (this.offset < until) {
      const want = Math.min(step, until - this.offset);
      const buffer = this.scratch(want);
      const got = readSync(fd, buffer, 0, want, this.offset);
      const chunk = buffer.subarray(0, got);
      let take = final ? chunk.length : chunk.lastIndexOf(NEWLINE) + 1;
      if (take === 0 && chunk.length >= 4 * MAX_LINE_CHARS) take = chunk.length;
      // A long line: look further for its end, as far as a line is ever waited for.
      if (take === 0 && got === want && got < 4 * MAX_LINE_CHARS && until - this.offset > got) {
        step = 4 * MAX_LINE_CHARS;
        continue;
      }
      if (take === 0) break;
      lines.push(...this.splitter.push(chunk.subarray(0, take)));
      this.offset += take;
      if (got < want) break;
      if (budget !== Infinity) {
        this.more = true;
        break;
      }
    }
    if (final) lines.push(...this.splitter.end());
    return lines;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private scratch(bytes: number): Buffer {
    if (bytes > KEPT_BUFFER_BYTES) return Buffer.allocUnsafe(bytes);
    if (this.buffer.length < bytes) this.buffer = Buffer.allocUnsafe(bytes);
    return this.buffer;
  }

  /**
   * What the agent may have put in the file's place (unsandboxed, it reaches the run dir) is no output: a FIFO,
   * which would block the open, or a symlink to a file of its choice.
   */
  private open(): number | null {
    if (this.fd === null) {
      try {
        const fd = openSync(this.file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
        if (!fstatSync(fd).isFile()) {
          closeSync(fd);
          return null;
        }
        this.fd = fd;
      } catch {
        return null;
      }
    }
    return this.fd;
  }
}
