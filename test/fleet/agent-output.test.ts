import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createOutputParser, type OutputFormat } from '../../src/fleet/tasks/output/index.js';
import { asksForCommit } from '../../src/fleet/tasks/task-outcome.js';

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
      usage: {
        input_tokens: 300,
        output_tokens: 60,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: 0.0024000000000000002,
      },
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
    expect(run('claude', 'max-turns').summary).toMatchObject({
      final_message: null,
      error: 'error_max_turns: Reached maximum number of turns (1)',
      failure: 'agent',
    });
  });

  test('permission denials listed only in the result event count too', () => {
    const parser = createOutputParser('claude');
    parser.stdoutLine(
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: 'ok',
        permission_denials: [{ tool_name: 'Bash', tool_use_id: 't1', tool_input: { command: 'git push' } }],
      }),
    );
    expect(parser.summary()).toMatchObject({
      final_message: 'ok',
      error: 'permission denied: Bash git push',
      failure: 'tool',
    });
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
    expect(run('opencode', 'permission-rejected').summary).toMatchObject({
      final_message: null,
      error: 'permission denied: write /tmp/v1/outside-the-worktree.txt',
      failure: 'tool',
      session_id: expect.stringMatching(/^ses_/),
    });
  });

  test('a tool call a permission rule of the config denies is an error, though the model carried on', () => {
    const { lines, summary } = run('opencode', 'permission-denied-rule');
    expect(lines.some((line) => line.startsWith('← error The user has specified a rule which prevents you'))).toBe(
      true,
    );
    expect(summary).toMatchObject({
      final_message: 'Done: the file is written and committed.',
      error: 'permission denied: bash git add -A && git commit -m "Add the file the mock model asked for"',
      failure: 'tool',
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
    const [line] = parser.stdoutLine(
      JSON.stringify({ type: 'user', message: { content: [{ type: 'tool_result', content: 'x'.repeat(5000) }] } }),
    );
    expect(line!.length).toBeLessThan(260);
    expect(line).toContain('(4800 more characters)');
  });

  test('the text format knows nothing of the outcome', () => {
    const parser = createOutputParser('text');
    expect(parser.stdoutLine('{"type":"result","is_error":true}')).toEqual(['{"type":"result","is_error":true}']);
    expect(parser.summary()).toEqual({ final_message: null, error: null });
  });
});

describe('what the parsers tell the task runner while a task runs', () => {
  const claudeEvents = (parser: ReturnType<typeof createOutputParser>, events: object[]) => {
    for (const event of events) parser.stdoutLine(JSON.stringify(event));
  };
  const toolUse = (id: string, command: string) => ({
    type: 'assistant',
    message: {
      id: `m-${id}`,
      content: [{ type: 'tool_use', id, name: 'Bash', input: { command } }],
      usage: { input_tokens: 100, output_tokens: 20 },
    },
  });
  const toolResult = (id: string, content: string, isError: boolean) => ({
    type: 'user',
    message: { content: [{ type: 'tool_result', tool_use_id: id, content, is_error: isError }] },
  });

  test("claude's retry notices are no progress, and carry the API's error while the CLI waits on it", () => {
    const parser = createOutputParser('claude');
    claudeEvents(parser, [{ type: 'system', subtype: 'init', cwd: '/w' }]);
    const started = parser.activity();
    expect(started).toMatchObject({ waiting_on_provider: true, provider_error: null, usage: null, finished: false });
    claudeEvents(parser, [
      { type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, error_status: 529, error: 'overloaded' },
    ]);
    expect(parser.activity()).toMatchObject({
      progress: started.progress,
      provider_error: 'API error 529 (overloaded): retry 1 of 10',
    });
    claudeEvents(parser, [toolUse('t1', 'make test')]);
    expect(parser.activity()).toMatchObject({
      progress: started.progress + 2,
      waiting_on_provider: false,
      tool_running: true,
      provider_error: null,
    });
    expect(parser.activity().usage).toMatchObject({ input_tokens: 100, output_tokens: 20, cost_usd: null });
  });

  test('the recorded real API failure is a provider failure', () => {
    expect(run('claude', 'api-error').summary.failure).toBe('provider');
  });

  test('a claude tool call that failed for good is a tool failure; one a later call of the same tool made up for is not', () => {
    const failing = createOutputParser('claude');
    claudeEvents(failing, [
      toolUse('t1', 'git commit -m x'),
      toolResult('t1', 'Exit code 1\nnothing to commit', true),
      { type: 'result', subtype: 'success', result: 'Done.' },
    ]);
    expect(failing.summary()).toMatchObject({ error: 'Bash failed: Exit code 1 (+1 more lines)', failure: 'tool' });
    const recovered = createOutputParser('claude');
    claudeEvents(recovered, [
      toolUse('t1', 'false'),
      toolResult('t1', 'Exit code 1', true),
      toolUse('t2', 'true'),
      toolResult('t2', '', false),
      { type: 'result', subtype: 'success', result: 'Done.' },
    ]);
    expect(recovered.summary()).toMatchObject({ error: null, failure: null });
  });

  test('a write the file system refused counts even when later calls of the tool succeed', () => {
    const parser = createOutputParser('claude');
    const refused = 'Exit code 1\n/bin/bash: line 1: /work/other/x.txt: Read-only file system';
    claudeEvents(parser, [
      toolUse('t1', 'echo x > /work/other/x.txt'),
      toolResult('t1', refused, true),
      toolUse('t2', 'true'),
      toolResult('t2', '', false),
      { type: 'result', subtype: 'success', result: 'Done.' },
    ]);
    expect(parser.summary()).toMatchObject({
      error: 'write refused (Bash): /bin/bash: line 1: /work/other/x.txt: Read-only file system',
      failure: 'refused',
    });
  });
});

describe('whether a task asks for a commit', () => {
  test.each([
    ['Fix the typo and commit it.', true],
    ['Write the file, then git commit.', true],
    ['Add tests. Commit your changes when they pass.', true],
    ['Fix the typo. Do not commit.', false],
    ["Refactor, but don't commit anything yet.", false],
    ['Review the last commits for bugs', true],
    ['Fix the typo', false],
  ])('%j: %s', (text, asks) => {
    expect(asksForCommit(text)).toBe(asks);
  });
});
