import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QuestionDesk } from '../../src/fleet/tasks/questions/question-desk.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The desk of a task whose CLI's stdin is a real FIFO, and the lines that reach the CLI's end of it. */
function deskOnFifo(): { desk: QuestionDesk; lines: (count: number) => Promise<string[]> } {
  dir = mkdtempSync('/var/tmp/fleet-desk-');
  const fifo = join(dir, 'stdin.fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = new Socket({ fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK), writable: false });
  let text = '';
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
        const got = text.split('\n').slice(0, -1);
        if (got.length < count) return;
        reader.destroy();
        resolve(got);
      };
      reader.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        check();
      });
    });
  return { desk, lines };
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
