import { StringDecoder } from 'node:string_decoder';

/** Longer output without a newline is cut into lines of this many characters, so one line cannot grow unbounded. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Turns a byte stream into text lines, keeping multi-byte characters and lines that span chunks intact. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer): string[] {
    return this.take(this.partial + this.decoder.write(chunk));
  }

  /** The unterminated rest, once the stream has ended. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : [...this.take(rest), ...this.flushPartial()];
  }

  private take(text: string): string[] {
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    // A copy of the lines only where some end in CR: a flood's steps are made of hundreds of lines each.
    const lines = text.includes('\r') ? parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)) : parts;
    while (this.partial.length > MAX_LINE_CHARS) {
      lines.push(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
    return lines;
  }

  private flushPartial(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}
