// The work a fake agent CLI does: its prompt, read as a small script, one step per line.
//   write <path>: <content>   the file-write tool (path relative to the working directory)
//   run: <command>            the shell tool
//   api <status>: fail        the model API answers <status> to every try: a few retry notices, then the CLI gives up
//   api <status>: retry       the API keeps answering <status>: retry notices every 200 ms, for ever
//   api: hang                 the API never answers: nothing more is printed
//   ask: <question> | <a>, <b>  AskUserQuestion with options a, b (`ask many:` lets several be chosen); claude asks
//                             its host only with --permission-prompt-tool=stdio, and waits for the answer on stdin
// Any other line is not a step; the fake answers with the whole prompt, so a test sees what arrived as the prompt.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

export function steps(prompt) {
  return prompt.split('\n').flatMap((line) => {
    const write = /^write ([^:]+): (.*)$/.exec(line);
    if (write) return [{ tool: 'write', path: write[1].trim(), content: `${write[2]}\n` }];
    const run = /^run: (.*)$/.exec(line);
    if (run) return [{ tool: 'shell', command: run[1] }];
    const ask = /^ask( many)?: ([^|]+)\|(.*)$/.exec(line);
    if (ask)
      return [
        {
          tool: 'ask',
          question: ask[2].trim(),
          multiSelect: ask[1] !== undefined,
          labels: ask[3]
            .split(',')
            .map((label) => label.trim())
            .filter(Boolean),
        },
      ];
    const api = /^api (\d{3}): (fail|retry)$/.exec(line) ?? (line === 'api: hang' ? [line, '0', 'hang'] : null);
    if (api) return [{ tool: 'api', status: Number(api[1]), mode: api[2] }];
    return [];
  });
}

export function insideCwd(path) {
  const rel = relative(process.cwd(), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Runs one step; returns { ok, output }. */
export function perform(step) {
  if (step.tool === 'write') {
    const file = resolve(step.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, step.content);
    return { ok: true, output: `File created successfully at: ${file}` };
  }
  const result = spawnSync('/bin/sh', ['-c', step.command], { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`.trim();
  return result.status === 0
    ? { ok: true, output }
    : { ok: false, output: `Exit code ${result.status}\n${output}`.trim() };
}

/** Blocks the fake for `ms`, as a CLI waiting on its API does. */
export function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
