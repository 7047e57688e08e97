/**
 * Splits the Engine API's multiplexed stream (a container without a TTY): frames of an 8-byte header (stream type,
 * three zero bytes, big-endian length) and that many bytes of stdout (1) or stderr (2). Frames may arrive split.
 */
export class MultiplexedStreamReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) return;
      const type = this.pending[0];
      const data = this.pending.subarray(8, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      // Type 0 is stdin, which engines only echo with a TTY; 3 is an engine-side error in some versions: stderr.
      if (type === 1) this.onFrame('stdout', data);
      else if (type !== 0) this.onFrame('stderr', data);
    }
  }
}
