import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createOutputParser, type OutputFormat } from '../../src/fleet/agent-output/index.js';

// Captured from the real CLIs (Claude Code 2.1.332, opencode 1.18.33) against the mock of scripts/verify-agents.
function run(format: OutputFormat, fixture: string) {
  const file = fileURLToPath(new URL(`../fixtures/agent-output/${format}/${fixture}.jsonl`, import.meta.url));
  const parser = createOutputParser(format);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => parser.stdoutLine(line));
  return { lines, summary: parser.summary() };
}

describe('claude stream-json', () => {
  test('a run that commits: tool calls on one line each, the result as final message, no error', () => {
    const { lines, summary } = run('claude', 'commit');
    expect(lines).toContain('→ Write: /tmp/v1/wt-a/verified-by-mock.txt');
    expect(lines).toContain('→ Bash: git add -A && git commit -m "Add the file the mock model asked for"');
    expect(lines).toContain('← [fleet/a 39b155d] Add the file the mock model asked for (+2 more lines)');
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    expect(summary).toEqual({
      final_message: 'Done: the file is written and committed.',
      error: null,
      failure: null,
      usage: { input_tokens: 300, output_tokens: 60, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0.0024000000000000002 },
    });
  });

  test('a denied tool is an error even though the CLI ended with success', () => {
    const { lines, summary } = run('claude', 'permission-denied');
    expect(lines).toContain('← error Exit code 3');
    expect(summary.final_message).toBe('I could not do it: the tools failed.');
    expect(summary.error).toMatch(/^permission denied: Write: .*outside-the-worktree\.txt/);
  });

  test('an API error after the bounded retries is the error', () => {
    const { lines, summary } = run('claude', 'api-error');
    expect(lines).toContain('API error 529 (overloaded): retry 1 of 1');
    expect(summary.error).toMatch(/^API Error: 529 mock says no/);
  });

  test('the turn limit is an error', () => {
    expect(run('claude', 'max-turns').summary).toMatchObject({ final_message: null, error: 'error_max_turns: Reached maximum number of turns (1)', failure: 'agent' });
  });

  test('permission denials listed only in the result event count too', () => {
    const parser = createOutputParser('claude');
    parser.stdoutLine(JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'ok', permission_denials: [{ tool_name: 'Bash', tool_use_id: 't1', tool_input: { command: 'git push' } }] }));
    expect(parser.summary()).toMatchObject({ final_message: 'ok', error: 'permission denied: Bash git push', failure: 'tool' });
  });
});

describe('opencode json', () => {
  test('a run that commits: the last text is the final message', () => {
    const { lines, summary } = run('opencode', 'commit');
    expect(lines).toEqual([
      '→ write: /tmp/v1/wt-a/verified-by-mock.txt',
      '← Wrote file successfully.',
      '→ bash: git add -A && git commit -m "Add the file the mock model asked for"',
      '← [fleet/a 7f1e4b8] Add the file the mock model asked for (+2 more lines)',
      'Done: the file is written and committed.',
    ]);
    expect(summary).toEqual({
      final_message: 'Done: the file is written and committed.',
      error: null,
      failure: null,
      session_id: expect.stringMatching(/^ses_/),
      usage: { input_tokens: 300, output_tokens: 60, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 0 },
    });
  });

  test('an auto-rejected permission is an error', () => {
    expect(run('opencode', 'permission-rejected').summary).toMatchObject({ final_message: null, error: 'permission denied: write /tmp/v1/outside-the-worktree.txt', failure: 'agent', session_id: expect.stringMatching(/^ses_/) });
  });

  test('a tool call a permission rule of the config denies is an error, though the model carried on', () => {
    const { lines, summary } = run('opencode', 'permission-denied-rule');
    expect(lines.some((line) => line.startsWith('← error The user has specified a rule which prevents you'))).toBe(true);
    expect(summary).toMatchObject({
      final_message: 'Done: the file is written and committed.',
      error: 'permission denied: bash git add -A && git commit -m "Add the file the mock model asked for"',
      failure: 'agent',
      session_id: expect.stringMatching(/^ses_/),
    });
  });

  test('an API error event is the error', () => {
    expect(run('opencode', 'api-error').summary.error).toBe('APIError: mock says no');
  });
});

describe('shared rendering', () => {
  test('lines that are not JSON events are kept as printed', () => {
    for (const format of ['claude', 'opencode', 'text', 'codex', 'gemini'] as const) {
      expect(createOutputParser(format).stdoutLine('plain words {not json')).toEqual(['plain words {not json']);
    }
  });

  test('a long tool result is cut to one short line that says how much was left out', () => {
    const parser = createOutputParser('claude');
    const [line] = parser.stdoutLine(JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content: 'x'.repeat(5000) }] } }));
    expect(line!.length).toBeLessThan(260);
    expect(line).toContain('(4800 more characters)');
  });

  test('the text format knows nothing of the outcome', () => {
    const parser = createOutputParser('text');
    expect(parser.stdoutLine('{"type":"result","is_error":true}')).toEqual(['{"type":"result","is_error":true}']);
    expect(parser.summary()).toEqual({ final_message: null, error: null });
  });
});
