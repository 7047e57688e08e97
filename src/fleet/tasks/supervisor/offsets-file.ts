import { closeSync, constants, openSync, writeSync } from 'node:fs';
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
    this.fd ??= openSync(this.file, constants.O_WRONLY | constants.O_CREAT, 0o600);
    writeSync(this.fd, this.record, 0, RECORD_BYTES, 0);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
