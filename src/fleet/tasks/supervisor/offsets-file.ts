import { closeSync, constants, fstatSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ReadOffsets } from './run-files.js';

/** Two safe integers as JSON take at most 54 bytes; every record is padded to this, so each one covers the last. */
const RECORD_BYTES = 64;

/**
 * The offsets file of a running task, held open and overwritten in place: one write per step of output, where a
 * new file renamed over the old one costs an open, a close and a rename (which ext4 makes flush the data) each time,
 * many times a second per running task. A write of one record at the file's start is all or nothing when the server
 * is killed, so a restarted server reads either the offsets before a step or those after it.
 */
export class OffsetsFile {
  private fd: number | null = null;
  private readonly record = Buffer.alloc(RECORD_BYTES);

  constructor(private readonly file: string) {}

  /** Saved after the lines are in the log: a crash in between repeats those lines once rather than losing them. */
  save(offsets: ReadOffsets): void {
    const json = JSON.stringify({ stdout: offsets.stdout, stderr: offsets.stderr });
    this.record.fill(0x20);
    this.record.write(json, 0, 'latin1');
    this.fd ??= this.open();
    writeSync(this.fd, this.record, 0, RECORD_BYTES, 0);
  }

  /**
   * The agent may reach the run dir (unsandboxed): what it put in the file's place is replaced, since a FIFO would
   * block the open, and a symlink would take the writes elsewhere.
   */
  private open(): number {
    const { O_WRONLY, O_CREAT, O_EXCL, O_NONBLOCK, O_NOFOLLOW } = constants;
    try {
      const fd = openSync(this.file, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOFOLLOW, 0o600);
      if (fstatSync(fd).isFile()) return fd;
      closeSync(fd);
    } catch {
      // A FIFO nobody reads (ENXIO) or a symlink (ELOOP): replaced below.
    }
    rmSync(this.file, { force: true });
    return openSync(this.file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
