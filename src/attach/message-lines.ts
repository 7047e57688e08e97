/** The longest message line taken, as the SDK's own stdio transport allows. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** Cuts a byte stream into its newline-ended JSON-RPC message lines, whole (never split inside a message). */
export class MessageLines {
  private parts: Buffer[] = [];
  private size = 0;

  /** Throws when a message grows past MAX_MESSAGE_BYTES: the stream is then no use. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      // A line is held to the limit also when its end comes in the chunk that takes it past.
      this.grow(end - start);
      this.parts.push(chunk.subarray(start, end));
      const line = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
      if (line !== '') lines.push(line);
      this.parts = [];
      this.size = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      this.grow(chunk.length - start);
      this.parts.push(chunk.subarray(start));
    }
    return lines;
  }

  /** What is left at the end of the stream: a last line the sender did not end with a newline. */
  end(): string[] {
    const rest = Buffer.concat(this.parts).toString('utf8').replace(/\r$/, '');
    this.parts = [];
    this.size = 0;
    return rest === '' ? [] : [rest];
  }

  private grow(bytes: number): void {
    this.size += bytes;
    if (this.size > MAX_MESSAGE_BYTES) throw new Error(`a message is longer than ${MAX_MESSAGE_BYTES} bytes`);
  }
}
