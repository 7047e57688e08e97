// Runs the real Claude Code CLI against the loopback Anthropic mock and exposes its stream-json lines and stdin.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createRepo } from '../fleet.mjs';
import { startAnthropicMock } from '../mocks/anthropic.mjs';

/** A model turn: `ask` is an AskUserQuestion input, `tool` any `{ name, input }`, `text` the final answer. */
export function startAskMock(steps) {
  return startAnthropicMock({
    scenario: { steps },
    toolUse: (step) => (step.ask ? { name: 'AskUserQuestion', input: step.ask } : step.tool),
  });
}

/** A temp git project and HOME under `root`, outside /tmp so a sandboxed run sees them. */
export function makeWorkspace(root) {
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'run-'));
  const { repo, git } = createRepo(dir);
  const home = join(dir, 'home');
  mkdirSync(home);
  return { dir, repo, git, home };
}

/**
 * Spawns `argv` (claude or a wrapper around it) with stdout as a pipe and stdin a pipe, or the FIFO `stdinFifo` (as a
 * supervisor would hold it) opened for writing here. `lines` holds every stdout line in order, parsed where JSON
 * (`raw` keeps the text); `until(predicate)` resolves with the first line that matches.
 */
export function runClaude({ argv, cwd, home, mockUrl, env = {}, stdinFifo }) {
  const command = stdinFifo ? ['sh', '-c', 'exec "$@" <"$0"', stdinFifo, ...argv] : argv;
  const child = spawn(command[0], command.slice(1), {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      ANTHROPIC_BASE_URL: mockUrl,
      ANTHROPIC_API_KEY: 'sk-ant-ask-proof-dummy',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '1',
      ...env,
    },
    stdio: [stdinFifo ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const stdin = stdinFifo ? createWriteStream(stdinFifo) : child.stdin;
  const lines = [];
  /** Both directions in order: `>` what was written to stdin, `<` what claude printed. */
  const transcript = [];
  const waiters = [];
  let pending = '';
  let stderr = '';
  const take = (raw) => {
    let json = null;
    try {
      json = JSON.parse(raw);
    } catch {
      // Not JSON: kept as raw text.
    }
    const line = { raw, json, at: Date.now() };
    lines.push(line);
    transcript.push(`< ${raw}`);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let index = pending.indexOf('\n');
    while (index >= 0) {
      take(pending.slice(0, index));
      pending = pending.slice(index + 1);
      index = pending.indexOf('\n');
    }
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  stdin.on('error', () => undefined);
  const exited = new Promise((resolve) =>
    child.once('close', (code, signal) => {
      if (pending) take(pending);
      for (const waiter of waiters) waiter.reject(new Error(`claude ended (${code ?? signal}) before the line came`));
      resolve({ code, signal });
    }),
  );
  const until = (predicate) =>
    new Promise((resolve, reject) => {
      const found = lines.find(predicate);
      if (found) return resolve(found);
      waiters.push({ predicate, resolve, reject });
    });
  const send = (value) => {
    const raw = JSON.stringify(value);
    transcript.push(`> ${raw}`);
    stdin.write(`${raw}\n`);
    return raw;
  };
  const closeStdin = (why) => {
    transcript.push(`> EOF (${why})`);
    stdin.end();
  };
  return { child, lines, transcript, until, send, closeStdin, exited, stderr: () => stderr };
}

/** Matches a printed line by its `type` and, where given, its `subtype` (a control request's is in `request`). */
export const byType = (type, subtype) => (line) =>
  line.json?.type === type &&
  (subtype === undefined || line.json.subtype === subtype || line.json.request?.subtype === subtype);

/** The stdin line of a user message, as the Agent SDK writes it. */
export const userMessage = (text) => ({
  type: 'user',
  message: { role: 'user', content: text },
  parent_tool_use_id: null,
  session_id: '',
});

/** The stdin line that answers control request `requestId` with a permission decision. */
export const controlResponse = (requestId, decision) => ({
  type: 'control_response',
  response: { subtype: 'success', request_id: requestId, response: decision },
});

/** The decision that answers an AskUserQuestion request: its input back, with `answers` (question text -> label). */
export const answerQuestions = (request, answers) => ({
  behavior: 'allow',
  updatedInput: { ...request.input, answers },
});
