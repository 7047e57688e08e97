import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createOutputParser, type OutputFormat } from '../../src/fleet/tasks/output/index.js';

// Captured from the real CLIs (Codex CLI 0.171.0, Gemini CLI 0.61.0) run with their built-in presets in a linked
// worktree against the mocks of scripts/verify-agents.
function run(format: OutputFormat, fixture: string) {
  const file = fileURLToPath(new URL(`../fixtures/agent-output/${format}/${fixture}.jsonl`, import.meta.url));
  return parse(
    format,
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== ''),
  );
}

function parse(format: OutputFormat, input: string[]) {
  const parser = createOutputParser(format);
  const lines = input.flatMap((line) => parser.stdoutLine(line));
  return { lines, summary: parser.summary() };
}

describe('codex exec --json', () => {
  test('a run that commits: the patch, the command and its result on one line each, the last message as final message, no error', () => {
    const { lines, summary } = run('codex', 'commit');
    expect(lines.some((line) => /^← add \/.*\/verified-by-mock\.txt$/.test(line))).toBe(true);
    expect(lines).toContain(
      `→ shell: /bin/bash -lc 'git add -A && git commit -m "Add the file the mock model asked for"'`,
    );
    expect(
      lines.some((line) =>
        /^← \[fleet\/a [0-9a-f]+\] Add the file the mock model asked for \(\+2 more lines\)$/.test(line),
      ),
    ).toBe(true);
    expect(lines).toContain('Done: the file is written and committed.');
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    expect(summary).toEqual({
      final_message: 'Done: the file is written and committed.',
      error: null,
      failure: null,
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      usage: { input_tokens: 30, output_tokens: 15, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: null },
    });
  });

  test('a failing last command is the error, though codex exited 0 (the refused patch before it is not in its JSON)', () => {
    const { summary } = run('codex', 'patch-refused');
    expect(summary.final_message).toBe('I could not do it: the tools failed.');
    expect(summary.error).toBe(`command failed (exited 3): /bin/bash -lc 'exit 3'`);
  });

  test('a write the sandbox refused is shown as the error output of its command', () => {
    const { lines, summary } = run('codex', 'shell-write-refused');
    expect(lines).toContain('← error exited 1: /bin/bash: line 1: ../outside-the-worktree.txt: Read-only file system');
    expect(summary.error).toBe(
      `write refused (command): /bin/bash: line 1: ../outside-the-worktree.txt: Read-only file system; command failed (exited 3): /bin/bash -lc 'exit 3'`,
    );
    expect(summary.failure).toBe('refused');
  });

  test('a commit that failed as the last command is the error', () => {
    const { summary } = run('codex', 'commit-refused');
    expect(summary.error).toBe(
      `command failed (exited 1): /bin/bash -lc 'git commit -m "nothing here"': On branch fleet/a (+1 more lines)`,
    );
  });

  test('an API error that failed the turn is the error, with the API message taken out of its body', () => {
    const { lines, summary } = run('codex', 'api-error');
    expect(lines).toContain('turn failed: API error: mock says the request is invalid');
    expect(summary).toMatchObject({
      final_message: null,
      error: 'API error: mock says the request is invalid',
      failure: 'provider',
      session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  test('a failed file change is the error until a later one succeeds', () => {
    const change = (status: string) =>
      `{"type":"item.completed","item":{"id":"item_0","type":"file_change","changes":[{"path":"/w/a.txt","kind":"update"}],"status":"${status}"}}`;
    expect(parse('codex', [change('failed')]).summary.error).toBe('file change failed: update /w/a.txt');
    expect(parse('codex', [change('failed'), change('completed')]).summary.error).toBeNull();
  });

  test('a command that succeeds after a failed one makes up for it', () => {
    const failed =
      '{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"npm test","aggregated_output":"1 failing\\n","exit_code":1,"status":"failed"}}';
    const passed =
      '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"npm test","aggregated_output":"all passing\\n","exit_code":0,"status":"completed"}}';
    expect(parse('codex', [failed, passed]).summary.error).toBeNull();
  });

  test('a stream error followed by a completed turn was retried and is not the outcome; notices are warnings', () => {
    const { lines, summary } = parse('codex', [
      '{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `mock-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}',
      '{"type":"error","message":"Reconnecting... 1/5"}',
      '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5}}',
    ]);
    expect(lines[0]).toMatch(/^warning: Model metadata for `mock-model` not found/);
    expect(summary.error).toBeNull();
  });

  test('a line that is not JSON is logged as printed', () => {
    expect(parse('codex', ['plain text']).lines).toEqual(['plain text']);
  });
});

describe('gemini --output-format stream-json', () => {
  test('a run that commits: tool calls on one line each, assistant deltas joined into the final message, no error', () => {
    const { lines, summary } = run('gemini', 'commit');
    expect(lines).toContain('→ write_file: verified-by-mock.txt');
    expect(lines).toContain('→ run_shell_command: git add -A && git commit -m "Add the file the mock model asked for"');
    expect(
      lines.some((line) =>
        /^← \[fleet\/a [0-9a-f]+\] Add the file the mock model asked for \(\+2 more lines\)$/.test(line),
      ),
    ).toBe(true);
    expect(lines).toContain('Done: the file is written and committed.');
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
    expect(summary).toEqual({
      final_message: 'Done: the file is written and committed.',
      error: null,
      failure: null,
      usage: { input_tokens: 40, output_tokens: 20, cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: null },
    });
  });

  test('a write the CLI refused outside the workspace is the error, though the result says success', () => {
    const { lines, summary } = run('gemini', 'tool-fails');
    expect(lines.some((line) => line.startsWith('← error Path not in workspace'))).toBe(true);
    expect(summary.final_message).toBe('I could not do it: the tools failed.');
    expect(summary.error).toMatch(
      /^write_file failed: Path not in workspace: Attempted path ".*outside-the-worktree\.txt" resolves outside/,
    );
  });

  test('tools the default approval mode leaves out of a headless run are the error, though the run "succeeded"', () => {
    const { summary } = run('gemini', 'not-approved');
    expect(summary.final_message).toBe('Done: the file is written and committed.');
    expect(summary.error).toMatch(
      /^write_file failed: Tool "write_file" not found\..*; run_shell_command failed: Tool "run_shell_command" not found\./,
    );
  });

  test('an API error in the result is the error', () => {
    const { summary } = run('gemini', 'api-error');
    expect(summary.final_message).toBeNull();
    expect(summary.error).toBe(
      '[API Error: {"error":{"code":400,"message":"mock says the request is invalid","status":"UNAVAILABLE"}}]',
    );
  });

  test('the turn limit is the error', () => {
    const { lines, summary } = run('gemini', 'max-turns');
    expect(summary.error).toBe(
      'Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.',
    );
    expect(lines.at(-1)).toMatch(/^result: error \(Reached max session turns/);
  });

  test('assistant deltas form one message until another event ends it', () => {
    const { lines, summary } = parse('gemini', [
      '{"type":"message","role":"assistant","content":"Hello, ","delta":true}',
      '{"type":"message","role":"assistant","content":"world.\\nSecond line.","delta":true}',
      '{"type":"result","status":"success","stats":{"tool_calls":0,"duration_ms":1200}}',
    ]);
    expect(lines).toEqual(['Hello, world.', 'Second line.', 'result: success, 0 tool calls, 1.2s']);
    expect(summary).toMatchObject({ final_message: 'Hello, world.\nSecond line.', error: null, failure: null });
  });
});

describe('gemini retries', () => {
  test('a retry notice on stderr is the API error the CLI waits on, and no progress', () => {
    const parser = createOutputParser('gemini');
    parser.stdoutLine(JSON.stringify({ type: 'init', session_id: 's', model: 'm' }));
    const before = parser.activity();
    parser.stderrLine?.('Attempt 2 failed with status 429. Retrying with backoff... ApiError: quota');
    expect(parser.activity()).toMatchObject({
      progress: before.progress,
      waiting_on_provider: true,
      provider_error: 'Attempt 2 failed with status 429. Retrying with backoff... ApiError: quota',
    });
  });
});
