/** Kept between calls; a larger buffer, for a step with very long lines, is dropped after its call. */
const KEPT_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 for 2). */
const MAX_BYTES_PER_UNIT = 3;

const QUOTE = 0x22;
/** What JSON.stringify escapes in a string (a surrogate only when lone; any is sent to it here, to stay exact). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among what JSON escapes
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

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
    // Most lines need no escape: written between quotes as they are, without a JSON copy of each line to collect.
    const json = ESCAPED.test(text) ? JSON.stringify(text) : null;
    const most = size + headBytes.length + MAX_BYTES_PER_UNIT * (json ?? text).length + 2 + endBytes.length;
    if (most > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(most, 2 * buffer.length));
      bigger.set(buffer.subarray(0, size));
      buffer = bigger;
    }
    buffer.set(headBytes, size);
    size += headBytes.length;
    if (json !== null) size += buffer.write(json, size);
    else {
      buffer[size++] = QUOTE;
      size += buffer.write(text, size);
      buffer[size++] = QUOTE;
    }
    buffer.set(endBytes, size);
    size += endBytes.length;
  }
  const encoded = buffer.subarray(0, size);
  if (buffer.length > KEPT_BYTES) buffer = Buffer.allocUnsafe(KEPT_BYTES);
  return encoded;
}
