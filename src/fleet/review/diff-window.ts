/**
 * Cuts one page out of a diff that may be far too large to hold: the stream is read line by line, only lines inside
 * [offset, offset + limit) are kept, and everything is counted, so the page can say exactly what it left out.
 * Pages end on whole lines; a single line longer than a page is cut at a UTF-8 character boundary.
 */
export class DiffWindow {
  private position = 0;
  private partial: Buffer = Buffer.alloc(0);
  private readonly kept: Buffer[] = [];
  private shown = 0;
  private full = false;
  private filesTotal = 0;
  private filesAfter = 0;

  constructor(
    private readonly offset: number,
    private readonly limit: number,
  ) {}

  push(chunk: Buffer): void {
    let data = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    for (let newline = data.indexOf(0x0a); newline !== -1; newline = data.indexOf(0x0a)) {
      this.line(data.subarray(0, newline + 1));
      data = data.subarray(newline + 1);
    }
    this.partial = Buffer.from(data);
  }

  /** Ends one stream (the committed diff, then the uncommitted one); returns its text within the page. */
  endSection(): string {
    if (this.partial.length > 0) this.line(this.partial);
    this.partial = Buffer.alloc(0);
    const text = Buffer.concat(this.kept).toString('utf8');
    this.kept.length = 0;
    return text;
  }

  get page(): DiffPage {
    const shown = this.shown;
    const end = this.offset + shown;
    return {
      offset: this.offset,
      shownBytes: shown,
      totalBytes: this.position,
      totalFiles: this.filesTotal,
      nextOffset: end < this.position ? end : null,
      leftOut: {
        bytes: this.position - shown,
        bytesAfter: Math.max(0, this.position - end),
        filesAfter: this.filesAfter,
      },
    };
  }

  private line(line: Buffer): void {
    const start = this.position;
    this.position += line.length;
    const isHeader = line.subarray(0, 11).toString('latin1') === 'diff --git ';
    if (isHeader) this.filesTotal += 1;
    if (this.position <= this.offset) return;
    if (!this.full) this.fill(line.subarray(Math.max(0, this.offset - start)));
    if (this.full && isHeader && start >= this.offset + this.shown) this.filesAfter += 1;
  }

  private fill(visible: Buffer): void {
    if (this.shown + visible.length <= this.limit) {
      this.keep(visible);
      return;
    }
    if (this.shown === 0) this.keep(visible.subarray(0, utf8Boundary(visible, this.limit)));
    this.full = true;
  }

  private keep(bytes: Buffer): void {
    this.kept.push(Buffer.from(bytes));
    this.shown += bytes.length;
  }
}

export interface DiffPage {
  /** Where this page starts in the whole diff, in bytes. */
  offset: number;
  shownBytes: number;
  totalBytes: number;
  /** Files in the whole diff (a file changed both in commits and uncommitted counts twice, once per part). */
  totalFiles: number;
  /** The offset of the next page, or null when this page reaches the end. */
  nextOffset: number | null;
  leftOut: {
    /** Everything not on this page: before its offset and after its end. */
    bytes: number;
    bytesAfter: number;
    /** Files whose diff starts after this page (not shown at all). */
    filesAfter: number;
  };
}

/** The largest length <= `max` that does not split a UTF-8 character (continuation bytes are 10xxxxxx). */
function utf8Boundary(bytes: Buffer, max: number): number {
  let end = Math.min(max, bytes.length);
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return end;
}
