import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlEvent } from '../../src/fleet/tasks/output/index.js';
import { QuestionDesk } from '../../src/fleet/tasks/questions/question-desk.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The desk of a task whose CLI's stdin is a real FIFO, and the lines that reach the CLI's end of it: the first
 * `count`, or all of them once the desk has let go of it.
 */
function deskOnFifo(): {
  desk: QuestionDesk;
  lines: (count: number) => Promise<string[]>;
  all: () => Promise<string[]>;
} {
  dir = mkdtempSync('/var/tmp/fleet-desk-');
  const fifo = join(dir, 'stdin.fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = new Socket({ fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), writable: false });
  let text = '';
  const got = () => text.split('\n').slice(0, -1);
  const ended = new Promise<string[]>((resolve) => reader.on('end', () => resolve(got())));
  const desk = new QuestionDesk({
    taskId: 't',
    fifo,
    stateFile: join(dir, 'questions.json'),
    log: () => {},
    onChange: () => {},
  });
  const lines = (count: number) =>
    new Promise<string[]>((resolve) => {
      const check = () => {
        if (got().length < count) return;
        reader.destroy();
        resolve(got());
      };
      reader.on('data', check);
    });
  reader.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { desk, lines, all: () => ended };
}

describe('the answers a task desk writes to its CLI', () => {
  it('keeps a request id the agent chose on one line of its own, whatever characters it holds', async () => {
    const { desk, lines } = deskOnFifo();
    const ids = ['a\nb', 'c\r\u2028\u001b[2Jd', '\ud800e', `f"}\n{"type":"control_response"`];
    desk.absorb(ids.map((requestId) => ({ kind: 'refuse', requestId, tool: null, toolUseId: null, message: 'no' })));
    const written = await lines(ids.length);
    desk.close();
    // A lone surrogate is escaped too: each line is ASCII where the id is not, and the id comes back as it was.
    expect(written[2]).toContain('\\ud800e');
    expect(written.map((line) => JSON.parse(line).response.request_id)).toEqual(ids);
  });
});

function question(n: number): ControlEvent {
  const item = {
    question: `Question ${n}?`,
    header: 'h',
    multiSelect: false,
    options: [{ label: 'a', description: '' }],
  };
  return {
    kind: 'question',
    requestId: `q${n}`,
    toolUseId: `tool${n}`,
    input: { questions: [item] },
    questions: [{ question: item.question, header: 'h', multi_select: false, options: item.options }],
  };
}

describe('the bounds of what a task desk takes', () => {
  it('answers at most 500 control requests of a task, and ignores the rest', async () => {
    const { desk, all } = deskOnFifo();
    const refusals = Array.from({ length: 502 }, (_, n): ControlEvent => {
      return { kind: 'refuse', requestId: `r${n}`, tool: null, toolUseId: null, message: 'no' };
    });
    desk.absorb(refusals);
    desk.close();
    const lines = await all();
    expect(lines).toHaveLength(500);
    expect(JSON.parse(lines.at(-1)!).response.request_id).toBe('r499');
  });

  it('keeps four questions waiting at most, and refuses a fifth at once', async () => {
    const { desk, all } = deskOnFifo();
    desk.absorb([1, 2, 3, 4, 5].map(question));
    expect(desk.pending()?.questions[0]?.question).toBe('Question 1?');
    desk.close();
    const lines = (await all()).map((line) => JSON.parse(line).response);
    expect(lines).toEqual([
      expect.objectContaining({
        request_id: 'q5',
        response: { behavior: 'deny', message: 'fleet-mcp: another question is waiting already' },
      }),
    ]);
  });
});
