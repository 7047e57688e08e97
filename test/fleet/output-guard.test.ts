import { describe, expect, it } from 'vitest';
import { createOutputParser, type OutputParser } from '../../src/fleet/tasks/output/index.js';
import { guardedParser, MAX_FINAL_MESSAGE_CHARS } from '../../src/fleet/logs/output-guard.js';

// Stands for a CLI-specific parser meeting output it was not written for.
const brokenParser: OutputParser = {
  stdoutLine: (line) => {
    if (line.startsWith('{')) throw new SyntaxError('Unexpected end of JSON input');
    return [`> ${line}`];
  },
  summary: () => {
    throw new TypeError('result is undefined');
  },
  activity: () => {
    throw new TypeError('stats is undefined');
  },
};

describe('the output parser as tasks use it', () => {
  it('shows a line its parser throws on as it came, and turns a failing summary into the task error', () => {
    const parser = guardedParser(brokenParser);
    expect(parser.stdoutLine('{"type":')).toEqual(['{"type":']);
    expect(parser.stdoutLine('plain')).toEqual(['> plain']);
    expect(parser.summary()).toEqual({
      final_message: null,
      error: 'its output could not be read: result is undefined',
      failure: 'agent',
    });
    expect(parser.activity()).toEqual({
      progress: 0,
      waiting_on_provider: false,
      tool_running: false,
      provider_error: null,
      usage: null,
      finished: false,
    });
  });

  it('caps a long final message and says how much is left in the log', () => {
    const long = 'x'.repeat(MAX_FINAL_MESSAGE_CHARS + 5);
    const parser = guardedParser({
      ...createOutputParser('text'),
      summary: () => ({ final_message: long, error: null }),
    });
    const { final_message } = parser.summary();
    expect(final_message?.startsWith('x'.repeat(MAX_FINAL_MESSAGE_CHARS))).toBe(true);
    expect(final_message?.endsWith('… [5 more characters in the log]')).toBe(true);
  });

  it('passes plain text through untouched', () => {
    const parser = guardedParser(createOutputParser('text'));
    expect(parser.stdoutLine('  - indented, {"json": 1}')).toEqual(['  - indented, {"json": 1}']);
    expect(parser.summary()).toEqual({ final_message: null, error: null });
  });
});
