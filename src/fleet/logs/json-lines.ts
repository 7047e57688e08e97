/** Kept between calls; a larger buffer, for a step with very long lines, is dropped after its call. */
const KEPT_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 for 2). */
const MAX_BYTES_PER_UNIT = 3;

let buffer = Buffer.allocUnsafe(KEPT_BYTES);

/**
 * Log lines as UTF-8 JSON, `head` + the JSON string of each text + `end`, encoded straight into one reused buffer:
 * a flood appends many times a second, and joining the lines into a string first doubled what each step allocated.
 * The bytes returned are valid until the next call.
 */
export function encodeJsonLines(head: string, texts: readonly string[], end: string): Buffer {
  const headBytes = Buffer.from(head);
  const endBytes = Buffer.from(end);
  let size = 0;
  for (const text of texts) {
    const json = JSON.stringify(text);
    const most = size + headBytes.length + MAX_BYTES_PER_UNIT * json.length + endBytes.length;
    if (most > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(most, 2 * buffer.length));
      bigger.set(buffer.subarray(0, size));
      buffer = bigger;
    }
    buffer.set(headBytes, size);
    size += headBytes.length;
    size += buffer.write(json, size);
    buffer.set(endBytes, size);
    size += endBytes.length;
  }
  const encoded = buffer.subarray(0, size);
  if (buffer.length > KEPT_BYTES) buffer = Buffer.allocUnsafe(KEPT_BYTES);
  return encoded;
}
