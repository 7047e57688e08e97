import { describe, expect, it } from 'vitest';
import { MessageLines } from '../../src/attach/message-lines.js';

/** The documented limit, written out: a test reading the constant would move with it. */
const LINE_LIMIT = 10 * 1024 * 1024;

describe('MessageLines', () => {
  it('gives whole lines however the bytes are cut', () => {
    const lines = new MessageLines();
    expect(lines.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(lines.push(Buffer.from(':2}\r\n\n{"c":3}\n'))).toEqual(['{"b":2}', '{"c":3}']);
  });

  it('gives at the end of the stream a last line sent without its newline', () => {
    const lines = new MessageLines();
    expect(lines.push(Buffer.from('{"a":1}\n{"b":2}'))).toEqual(['{"a":1}']);
    expect(lines.end()).toEqual(['{"b":2}']);
    expect(lines.end()).toEqual([]);
  });

  it('takes a line of exactly 10 MiB, and refuses one byte more, in one chunk or cut anywhere', () => {
    const longest = 'x'.repeat(LINE_LIMIT);
    expect(new MessageLines().push(Buffer.from(`${longest}\n`))[0]).toHaveLength(LINE_LIMIT);
    expect(() => new MessageLines().push(Buffer.from(`${longest}x\n`))).toThrow(
      `a message is longer than ${LINE_LIMIT} bytes`,
    );
    for (const cut of [1, 65_536, LINE_LIMIT]) {
      const lines = new MessageLines();
      const over = Buffer.from(`${longest}x\n`);
      expect(() => [lines.push(over.subarray(0, cut)), lines.push(over.subarray(cut))], `cut at ${cut}`).toThrow(
        'a message is longer than',
      );
    }
  });
});
