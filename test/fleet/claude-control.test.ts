import { describe, expect, it } from 'vitest';
import { createClaudeParser } from '../../src/fleet/tasks/output/claude.js';

// Claude Code's control requests as its parser reads them: agent-writable lines, validated once.
const question = (overrides: object = {}) => ({
  question: 'Which database?',
  header: 'Database',
  multiSelect: false,
  options: [
    { label: 'PostgreSQL', description: 'the default' },
    { label: 'SQLite', description: 'a file' },
  ],
  ...overrides,
});
const request = (id: unknown, body: object) =>
  JSON.stringify({ type: 'control_request', request_id: id, request: body });
const ask = (input: unknown) =>
  request('r1', { subtype: 'can_use_tool', tool_name: 'AskUserQuestion', input, tool_use_id: 't1' });

describe("the claude parser's control requests", () => {
  it('reads a question, and its settling by the tool result; a declined question is no failed tool', () => {
    const parser = createClaudeParser();
    const toolUse = { type: 'tool_use', id: 't1', name: 'AskUserQuestion', input: { questions: [question()] } };
    parser.stdoutLine(JSON.stringify({ type: 'assistant', message: { id: 'm1', content: [toolUse] } }));
    expect(parser.stdoutLine(ask({ questions: [question()] }))).toEqual([
      '? the agent asks its user, and waits for the answer:',
      '?   [Database] Which database? (one of, or an answer of your own)',
      '?     - PostgreSQL: the default',
      '?     - SQLite: a file',
    ]);
    const [event] = parser.takeControl!();
    expect(event).toMatchObject({
      kind: 'question',
      requestId: 'r1',
      toolUseId: 't1',
      questions: [
        { question: 'Which database?', multi_select: false, options: [{ label: 'PostgreSQL' }, { label: 'SQLite' }] },
      ],
    });
    parser.stdoutLine(
      JSON.stringify({
        type: 'user',
        message: { content: [{ type: 'tool_result', tool_use_id: 't1', content: 'Decide yourself.', is_error: true }] },
      }),
    );
    expect(parser.takeControl!()).toEqual([{ kind: 'resolved', toolUseId: 't1' }]);
    expect(parser.summary().error).toBeNull();
  });

  it('refuses what is not a bounded question, and ignores a request it could not answer', () => {
    const parser = createClaudeParser();
    const refused = [
      ask({ questions: [1, 2, 3, 4, 5].map((n) => question({ question: `q${n}` })) }),
      ask({
        questions: [question({ options: Array.from({ length: 5 }, (_, n) => ({ label: `${n}`, description: '' })) })],
      }),
      ask({ questions: [question({ header: 'h'.repeat(101) })] }),
      ask({ questions: [question(), question()] }),
      ask({ questions: 'no' }),
      request('r2', {
        subtype: 'can_use_tool',
        tool_name: 'Write',
        input: { file_path: '/etc/passwd' },
        tool_use_id: 't2',
      }),
    ];
    for (const line of refused)
      expect(parser.stdoutLine(line)[0]).toMatch(/^permission denied: (AskUserQuestion|Write): fleet-mcp/);
    expect(parser.takeControl!().map((event) => event.kind)).toEqual(Array(refused.length).fill('refuse'));
    expect(parser.stdoutLine(request('r3', { subtype: 'interrupt' }))).toEqual([
      'permission denied: request: fleet-mcp answers no interrupt requests',
    ]);
    expect(parser.takeControl!()).toEqual([
      {
        kind: 'refuse',
        requestId: 'r3',
        tool: null,
        toolUseId: null,
        message: 'fleet-mcp answers no interrupt requests',
      },
    ]);
    for (const id of [undefined, 7, '', 'x'.repeat(201)])
      expect(parser.stdoutLine(request(id, { subtype: 'can_use_tool' }))).toEqual([
        'an unreadable control request was ignored',
      ]);
    expect(parser.takeControl!()).toEqual([]);
    expect(parser.summary().error).toMatch(/permission denied: Write/);
  });
});
