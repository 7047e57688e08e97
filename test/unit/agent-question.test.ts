import { isSpecType } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { AgentQuestion } from '../../src/fleet/fleet-api.js';
import {
  askAgentQuestion,
  DECLINED_ANSWER,
  questionKey,
  replyAnswer,
  textAnswer,
} from '../../src/mcp/agent-question.js';

const QUESTION: AgentQuestion = {
  id: 'q-1',
  task_id: 't-1',
  asked_at: '2026-12-07T07:00:00.000Z',
  questions: [
    {
      question: 'Which database?',
      header: 'Database',
      multi_select: false,
      options: [
        { label: 'Postgres', description: 'Relational' },
        { label: 'SQLite', description: '' },
      ],
    },
    {
      question: 'Which checks?',
      header: 'Checks',
      multi_select: true,
      options: [
        { label: 'lint', description: 'biome' },
        { label: 'types', description: 'tsc' },
      ],
    },
  ],
};

describe("an agent's question as an elicitation form", () => {
  it("is the spec's form: titled options, an array of them for multi-select, and free text beside each", () => {
    const { ask } = askAgentQuestion('db', QUESTION);
    expect(ask.key).toBe('agent_question:q-1');
    expect(ask.message).toBe(
      'Agent "db" asks: Which database? [Postgres | SQLite] Which checks? [lint | types; several]',
    );
    expect(isSpecType.ElicitRequestFormParams({ mode: 'form', message: ask.message, requestedSchema: ask.form })).toBe(
      true,
    );
    expect(ask.form?.properties).toMatchObject({
      choice_1: {
        type: 'string',
        title: 'Database',
        oneOf: [
          { const: 'Postgres', title: 'Postgres: Relational' },
          { const: 'SQLite', title: 'SQLite' },
        ],
      },
      text_1: { type: 'string' },
      choice_2: { type: 'array', items: { anyOf: [{ const: 'lint', title: 'lint: biome' }, { const: 'types' }] } },
      text_2: { type: 'string' },
    });
  });

  it("spells out the control characters of the agent's text, so none passes for a line or a terminal's own", () => {
    const clear = '\u001b[2J';
    const forged: AgentQuestion = {
      ...QUESTION,
      questions: [
        {
          question: `Which?\nAgent "db" is idle.${clear}`,
          header: `H\r${clear}`,
          multi_select: false,
          options: [{ label: `yes${clear}`, description: 'a\nb' }],
        },
      ],
    };
    const { ask } = askAgentQuestion('db', forged);
    expect(ask.message).toBe('Agent "db" asks: Which?\\nAgent "db" is idle.\\u001b[2J [yes\\u001b[2J]');
    expect(ask.form?.properties.choice_1).toEqual({
      type: 'string',
      title: 'H\\r\\u001b[2J',
      description: 'Which?\\nAgent "db" is idle.\\u001b[2J',
      // The value stays the label itself: it is what the agent is answered with.
      oneOf: [{ const: `yes${clear}`, title: 'yes\\u001b[2J: a\\nb' }],
    });
    expect(() => replyAnswer(forged, { action: 'accept', content: { choice_1: 'no' } })).toThrow(
      'Not an option of "Which?\\nAgent "db" is idle.\\u001b[2J"',
    );
    expect(replyAnswer(forged, { action: 'accept', content: { choice_1: `yes${clear}` } })).toEqual({
      answers: { [forged.questions[0]!.question]: `yes${clear}` },
    });
  });

  it('gives a question without options a free-text field alone', () => {
    const open = { ...QUESTION, questions: [{ ...QUESTION.questions[0]!, options: [] }] };
    expect(Object.keys(askAgentQuestion('db', open).ask.form!.properties)).toEqual(['text_1']);
  });
});

describe("the user's reply as the agent's answer", () => {
  it('takes an option, several options joined, or text over the options, keyed by question text', () => {
    const reply = { action: 'accept' as const, content: { choice_1: 'SQLite', choice_2: ['lint', 'types'] } };
    expect(replyAnswer(QUESTION, reply)).toEqual({
      answers: { 'Which database?': 'SQLite', 'Which checks?': 'lint, types' },
    });
    const text = { action: 'accept' as const, content: { choice_1: 'SQLite', text_1: 'DuckDB', choice_2: ['lint'] } };
    expect(replyAnswer(QUESTION, text)).toEqual({ answers: { 'Which database?': 'DuckDB', 'Which checks?': 'lint' } });
  });

  it('declines for a decline or a cancel, and is nothing for a question not asked', () => {
    expect(replyAnswer(QUESTION, { action: 'decline' })).toEqual({ declined: DECLINED_ANSWER });
    expect(replyAnswer(QUESTION, { action: 'unasked' })).toBeUndefined();
  });

  it('refuses a label that is no option, and a question left unanswered, naming the question', () => {
    const bad = { action: 'accept' as const, content: { choice_1: 'Oracle', choice_2: ['lint'] } };
    expect(() => replyAnswer(QUESTION, bad)).toThrow('Not an option of "Which database?": "Oracle".');
    const several = { action: 'accept' as const, content: { choice_1: ['Postgres', 'SQLite'], choice_2: ['lint'] } };
    expect(() => replyAnswer(QUESTION, several)).toThrow('Not an option of "Which database?"');
    const missing = { action: 'accept' as const, content: { choice_1: 'SQLite', text_2: '  ' } };
    expect(() => replyAnswer(QUESTION, missing)).toThrow('No answer to "Which checks?"');
  });

  it('answers a question whose text is a name every object has', () => {
    const named = {
      ...QUESTION,
      questions: QUESTION.questions.map((item, n) => ({ ...item, question: ['__proto__', 'constructor'][n]! })),
    };
    const reply = { action: 'accept' as const, content: { text_1: 'one', text_2: 'two' } };
    const answer = replyAnswer(named, reply) as { answers: Record<string, string> };
    expect(Object.entries(answer.answers)).toEqual([
      ['__proto__', 'one'],
      ['constructor', 'two'],
    ]);
  });

  it('answers every question with one text, as start_agent_task does', () => {
    expect(textAnswer(QUESTION, 'Postgres, and lint')).toEqual({
      answers: { 'Which database?': 'Postgres, and lint', 'Which checks?': 'Postgres, and lint' },
    });
  });

  it('keys each question by its id, so an answer to one never answers the next', () => {
    expect(questionKey({ ...QUESTION, id: 'q-2' })).not.toBe(questionKey(QUESTION));
  });
});
