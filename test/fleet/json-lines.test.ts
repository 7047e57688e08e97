import { describe, expect, it } from 'vitest';
import { encodeJsonLines } from '../../src/fleet/logs/json-lines.js';

// Log lines are encoded straight into a buffer, most without JSON.stringify: the bytes must be what it gives.

const head = '{"time":"2026-01-01T00:00:00.000Z","stream":"stdout","text":';
const end = ',"task_id":"t1"}\n';
const expected = (texts: string[]) => Buffer.from(texts.map((text) => head + JSON.stringify(text) + end).join(''));

describe('JSON lines', () => {
  it('are the bytes JSON.stringify gives, for text that needs escapes and text that does not', () => {
    const texts = [
      'plain line of output',
      '',
      'say "hi"',
      'a "quoted" word and a back\\slash',
      'tab\tnul\u0000unit separator\u001f and DEL\u007f',
      'line and paragraph separators \u2028\u2029',
      'é, 漢字 and an emoji 😀',
      'a lone high surrogate \ud800 and a lone low one \udc00',
      '\udbff',
      `a long line ${'x'.repeat(200_000)}`,
      'ends the step',
    ];
    expect(encodeJsonLines(head, texts, end).equals(expected(texts))).toBe(true);
    for (const text of texts) expect(JSON.parse(encodeJsonLines(head, [text], end).toString()).text).toBe(text);
  });

  it('are encoded afresh on each call, a small step after a large one', () => {
    const large = Array.from({ length: 3000 }, (_, index) => `line ${index} "of" a large step`);
    expect(encodeJsonLines(head, large, end).equals(expected(large))).toBe(true);
    expect(encodeJsonLines(head, ['small'], end).equals(expected(['small']))).toBe(true);
  });
});
