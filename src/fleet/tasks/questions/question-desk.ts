import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { replaceFileSync } from '../../../fs/atomic-file.js';
import { readRegularFile } from '../../../fs/read-regular-file.js';
import { FleetError } from '../../errors.js';
import type { AgentQuestion, QuestionAnswer } from '../../fleet-api.js';
import type { ControlEvent } from '../output/index.js';
import { oneLine } from '../output/render.js';
import { type ControlDecision, controlErrorLine, controlResponseLine } from './claude-stdio.js';

/** Control requests one task may make; past them the rest are ignored (a flood is the agent's own doing). */
export const MAX_CONTROL_REQUESTS = 500;
/** Questions waiting at once: the CLI asks one at a time, more are forged lines, refused at once. */
const MAX_OPEN_QUESTIONS = 4;
export const MAX_ANSWER_CHARS = 5000;
/** Past what its requests can make it (500 ids of 200 characters, and when each question came), the state is forged. */
const MAX_STATE_BYTES = 1024 * 1024;

export interface QuestionDeskOptions {
  taskId: string;
  /** The CLI's stdin FIFO, and the file that records what was answered (both in the task's run dir). */
  fifo: string;
  stateFile: string;
  /** Lines for the task's log. */
  log(lines: string[]): void;
  /** The task's question appeared or cleared. */
  onChange(): void;
}

interface OpenQuestion {
  question: AgentQuestion;
  requestId: string;
  toolUseId: string | null;
  input: Extract<ControlEvent, { kind: 'question' }>['input'];
}

/**
 * What the run dir keeps across a restart of the server: the questions answered, and when each waiting one came.
 * Small whatever the agent prints: refusals and settled questions are not in it.
 */
interface DeskState {
  responded: string[];
  asked: Record<string, string>;
}

/**
 * The answering side of one task's CLI stdin: its questions, waiting for the user, and the refusals of every other
 * request, written as control_response lines to the FIFO its supervisor holds. Built again from the task's output
 * after a restart of the server, with what was answered read from the run dir, so an answered question never comes
 * back and an unanswered one does.
 */
export class QuestionDesk {
  private state: DeskState;
  private readonly responded: Set<string>;
  private readonly open: OpenQuestion[] = [];
  private requests = 0;
  private writer: Socket | null = null;
  private closed = false;
  /** The state as last written: a batch that leaves it as it was (a question asked and withdrawn) writes nothing. */
  private saved = '';

  constructor(private readonly options: QuestionDeskOptions) {
    this.state = readState(options.stateFile);
    this.responded = new Set(this.state.responded);
  }

  /** The oldest question waiting, if any. */
  pending(): AgentQuestion | null {
    return this.open[0]?.question ?? null;
  }

  /** Takes the control requests the CLI's output carried, in order: questions wait, the rest are refused at once. */
  absorb(events: ControlEvent[]): void {
    if (this.closed || events.length === 0) return;
    const before = this.pending();
    let save = false;
    for (const event of events) {
      if (event.kind === 'cancel' || event.kind === 'resolved') {
        this.settle(event);
        continue;
      }
      this.requests += 1;
      if (this.requests === MAX_CONTROL_REQUESTS + 1)
        this.options.log([`over ${MAX_CONTROL_REQUESTS} control requests: the rest are ignored`]);
      if (this.requests > MAX_CONTROL_REQUESTS || this.responded.has(event.requestId)) continue;
      if (event.kind === 'question' && this.open.length < MAX_OPEN_QUESTIONS) {
        // Asked first, then noted: every question of a batch is asked, not only until one needs a save.
        if (this.ask(event)) save = true;
        continue;
      }
      const message = event.kind === 'refuse' ? event.message : 'fleet-mcp: another question is waiting already';
      const tool = event.kind === 'refuse' ? event.tool : 'AskUserQuestion';
      // Not saved for itself: refused again after a restart, it reaches a CLI that settled it and ignores it.
      this.respond(event.requestId, tool === null ? { error: message } : { behavior: 'deny', message });
    }
    if (save) this.saveState();
    if (before !== this.pending()) this.options.onChange();
  }

  /** Answers or declines the waiting question `id`; a FleetError when no such question waits or the answer does not fit it. */
  answer(id: string, answer: QuestionAnswer): void {
    const open = this.open[0];
    if (!open || this.closed)
      throw new FleetError(
        'conflict',
        'The agent has no question waiting for an answer (it was answered, withdrawn, or its task ended).',
      );
    if (open.question.id !== id)
      throw new FleetError(
        'conflict',
        `No waiting question has id ${JSON.stringify(oneLine(String(id), 80))}: the question waiting is ${open.question.id}.`,
      );
    const decision = answerDecision(open, answer);
    this.open.shift();
    this.respond(open.requestId, decision);
    this.state.responded.push(open.requestId);
    this.saveState();
    this.options.log(
      'declined' in answer
        ? [`the user declined the question: ${oneLine(answer.declined)}`]
        : Object.entries(answer.answers).map(
            ([question, text]) => `the user answered "${oneLine(question, 80)}": ${oneLine(text)}`,
          ),
    );
    this.options.onChange();
  }

  /** The task ended or its input was given up: no more answers; a waiting question clears. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer?.end();
    this.writer = null;
    if (this.open.splice(0).length > 0) this.options.onChange();
  }

  /** A question withdrawn, or settled in the CLI without us (its result came: an answer the agent wrote itself). */
  private settle(event: Extract<ControlEvent, { kind: 'cancel' | 'resolved' }>): void {
    for (let index = this.open.length - 1; index >= 0; index--) {
      const open = this.open[index]!;
      const settled =
        event.kind === 'cancel'
          ? open.requestId === event.requestId
          : event.toolUseId === null || open.toolUseId === event.toolUseId;
      if (settled) this.open.splice(index, 1);
    }
  }

  /** The server lets go of the task for the next one (shutdown): its writing end closes, as a server's death would close it. */
  release(): void {
    this.closed = true;
    this.writer?.destroy();
    this.writer = null;
  }

  private ask(event: Extract<ControlEvent, { kind: 'question' }>): boolean {
    // Stable across a restart of the server, which reads the same output in the same order again.
    const id = `q_${createHash('sha256').update(`${this.options.taskId}\n${this.requests}\n${event.requestId}`).digest('hex').slice(0, 24)}`;
    const known = this.state.asked[id];
    const asked_at = known ?? new Date().toISOString();
    this.state.asked[id] = asked_at;
    this.open.push({
      requestId: event.requestId,
      toolUseId: event.toolUseId,
      input: event.input,
      question: { id, task_id: this.options.taskId, asked_at, questions: event.questions },
    });
    return known === undefined;
  }

  /** Writes the response line; recorded as answered at once, so a second answer is refused. */
  private respond(requestId: string, decision: ControlDecision | { error: string }): void {
    this.responded.add(requestId);
    const line =
      'error' in decision ? controlErrorLine(requestId, decision.error) : controlResponseLine(requestId, decision);
    this.write(line);
  }

  /** Never blocks: the FIFO is opened non-blocking and written through the event loop. */
  private write(line: string): void {
    if (this.closed) return;
    try {
      this.writer ??= this.openWriter();
    } catch (error) {
      this.options.log([`could not write to the CLI's input: ${(error as Error).message}`]);
      return;
    }
    this.writer.write(line);
  }

  private openWriter(): Socket {
    const fd = openSync(this.options.fifo, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    // Unsandboxed, the agent may have put a file of its own in the FIFO's place: no socket, and no descriptor kept.
    if (!fstatSync(fd).isFIFO()) {
      closeSync(fd);
      throw new Error(`${this.options.fifo} is no longer a FIFO`);
    }
    const socket = new Socket({ fd, readable: false, writable: true });
    socket.on('error', (error) => {
      this.options.log([`could not write to the CLI's input: ${error.message}`]);
      if (this.writer === socket) this.writer = null;
      socket.destroy();
    });
    return socket;
  }

  /**
   * Not flushed to disk: it is of use only while the task's CLI runs, which a power loss ends too, and a flood of
   * requests would make each fsync a stall of the event loop.
   */
  private saveState(): void {
    this.state.asked = Object.fromEntries(this.open.map(({ question }) => [question.id, question.asked_at]));
    const json = JSON.stringify(this.state);
    if (json === this.saved) return;
    try {
      replaceFileSync(this.options.stateFile, json);
      this.saved = json;
    } catch (error) {
      this.options.log([`could not record the answered requests: ${(error as Error).message}`]);
    }
  }
}

/** The CLI's decision for an answer: every question answered (by its text), or the question declined. */
function answerDecision(open: OpenQuestion, answer: QuestionAnswer): ControlDecision {
  if ('declined' in answer) {
    const message = typeof answer.declined === 'string' ? answer.declined.trim() : '';
    if (message === '' || message.length > MAX_ANSWER_CHARS)
      throw new FleetError('invalid_argument', `declined must say why, in 1 to ${MAX_ANSWER_CHARS} characters.`);
    return { behavior: 'deny', message };
  }
  const texts = open.question.questions.map((item) => item.question);
  const given = Object.entries(answer.answers ?? {});
  const unknown = given.filter(([question]) => !texts.includes(question)).map(([question]) => question);
  if (unknown.length > 0)
    throw new FleetError(
      'invalid_argument',
      `answers are keyed by the text of each question; ${JSON.stringify(oneLine(unknown[0]!, 80))} is not one. The questions: ${texts.map((text) => JSON.stringify(text)).join(', ')}.`,
    );
  const missing = texts.filter(
    (text) => typeof answer.answers[text] !== 'string' || answer.answers[text]!.trim() === '',
  );
  if (missing.length > 0)
    throw new FleetError(
      'invalid_argument',
      `answer every question (an option's label, labels joined by ", " where several may be chosen, or text of your own); unanswered: ${missing.map((text) => JSON.stringify(text)).join(', ')}.`,
    );
  const long = given.find(([, text]) => text.length > MAX_ANSWER_CHARS);
  if (long) throw new FleetError('invalid_argument', `an answer may hold at most ${MAX_ANSWER_CHARS} characters.`);
  const answers = Object.fromEntries(texts.map((text) => [text, answer.answers[text]!]));
  return { behavior: 'allow', updatedInput: { ...open.input, answers } };
}

/** The run dir's record, agent-reachable when unsandboxed: what is not of its shape is left out. */
function readState(file: string): DeskState {
  const empty: DeskState = { responded: [], asked: {} };
  const text = readRegularFile(file, MAX_STATE_BYTES);
  if (text === null) return empty;
  try {
    const json = JSON.parse(text) as Partial<DeskState>;
    const responded = Array.isArray(json.responded) ? json.responded.filter((id) => typeof id === 'string') : [];
    const entries = typeof json.asked === 'object' && json.asked !== null ? Object.entries(json.asked) : [];
    const asked = Object.fromEntries(
      entries.filter(([, at]) => typeof at === 'string' && !Number.isNaN(Date.parse(at))),
    );
    return { responded, asked };
  } catch {
    return empty;
  }
}
