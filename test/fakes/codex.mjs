#!/usr/bin/env node
// A fake `codex` (Codex CLI 0.171) for the fast suite: `codex exec` parses its options like the real one (clap:
// unknown options and extra arguments are refused with exit 2, `--` ends the options, `--name=value` works),
// refuses a directory outside git without --skip-git-repo-check, and with `--json` prints the events of
// `codex exec --json`. Its scripted work: write the prompt into a file and commit it. The default read-only
// sandbox makes that work fail, as it does in the real CLI. `codex exec resume [OPTIONS] <SESSION_ID> <PROMPT>`
// continues a session; it has no --sandbox or --add-dir, only config overrides (`-c sandbox_mode="..."`).
import { randomUUID } from 'node:crypto';
import { FAKE_FILE, insideGitWorktree, runCommand, scriptedCommands } from './fake-work.mjs';
import { continuedNote, earlierPrompts, rememberPrompt } from './sessions.mjs';

const USAGE =
  "Usage: codex exec [OPTIONS] [PROMPT]\n       codex exec [OPTIONS] <COMMAND> [ARGS]\n\nFor more information, try '--help'.\n";
const FLAGS = new Set([
  '--json',
  '--skip-git-repo-check',
  '--full-auto',
  '--dangerously-bypass-approvals-and-sandbox',
  '--ephemeral',
  '--oss',
]);
const VALUED = new Map([
  ['--sandbox', '--sandbox <SANDBOX_MODE>'],
  ['-s', '--sandbox <SANDBOX_MODE>'],
  ['--add-dir', '--add-dir <DIR>'],
  ['--model', '--model <MODEL>'],
  ['-m', '--model <MODEL>'],
  ['--config', '--config <key=value>'],
  ['-c', '--config <key=value>'],
  ['--cd', '--cd <DIR>'],
  ['-C', '--cd <DIR>'],
  ['--profile', '--profile <CONFIG_PROFILE>'],
  ['-p', '--profile <CONFIG_PROFILE>'],
  ['--output-last-message', '--output-last-message <FILE>'],
  ['-o', '--output-last-message <FILE>'],
  ['--color', '--color <COLOR>'],
]);
const RESUME_FLAGS = new Set([
  '--json',
  '--skip-git-repo-check',
  '--last',
  '--all',
  '--ephemeral',
  '--dangerously-bypass-approvals-and-sandbox',
]);
const RESUME_VALUED = new Map([
  ['--config', '--config <key=value>'],
  ['-c', '--config <key=value>'],
  ['--model', '--model <MODEL>'],
  ['-m', '--model <MODEL>'],
  ['--output-last-message', '--output-last-message <FILE>'],
  ['-o', '--output-last-message <FILE>'],
]);
const RESUME_USAGE =
  "Usage: codex exec resume [OPTIONS] [SESSION_ID] [PROMPT]\n\nFor more information, try '--help'.\n";
const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'];

let usage = USAGE;
function fail(message) {
  process.stderr.write(`error: ${message}\n\n${usage}`);
  process.exit(2);
}

function parse(args, { flags = FLAGS, valued = VALUED, positionals = 1 } = {}) {
  const options = { flags: new Set(), values: new Map(), positionals: [] };
  const positional = (arg) =>
    options.positionals.length < positionals
      ? options.positionals.push(arg)
      : fail(`unexpected argument '${arg}' found`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      args.slice(i + 1).forEach(positional);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional(arg);
      continue;
    }
    const [name, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (flags.has(name) && inline === undefined) options.flags.add(name);
    else if (valued.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) fail(`a value is required for '${valued.get(name)}' but none was supplied`);
      const key = valued.get(name).split(' ')[0];
      options.values.set(key, [...(options.values.get(key) ?? []), value]);
    } else fail(`unexpected argument '${name}' found\n\n  tip: to pass '${name}' as a value, use '-- ${name}'`);
  }
  const configured = (options.values.get('--config') ?? [])
    .map((pair) => /^sandbox_mode\s*=\s*"?([a-z-]+)"?$/.exec(pair)?.[1])
    .filter(Boolean);
  // The bypass runs commands with no sandbox of codex's own, as danger-full-access does.
  const bypass = options.flags.has('--dangerously-bypass-approvals-and-sandbox') ? 'danger-full-access' : undefined;
  const sandbox = bypass ?? options.values.get('--sandbox')?.at(-1) ?? configured.at(-1) ?? 'read-only';
  if (!SANDBOX_MODES.includes(sandbox))
    fail(`invalid value '${sandbox}' for '--sandbox <SANDBOX_MODE>'\n  [possible values: ${SANDBOX_MODES.join(', ')}]`);
  return { ...options, sandbox };
}

const [subcommand, ...rest] = process.argv.slice(2);
if (subcommand !== 'exec') {
  process.stderr.write('Error: stdin is not a terminal\n');
  process.exit(1);
}
const resume = rest[0] === 'resume';
if (resume) usage = RESUME_USAGE;
const options = resume
  ? parse(rest.slice(1), { flags: RESUME_FLAGS, valued: RESUME_VALUED, positionals: 2 })
  : parse(rest);
// With --last the one argument is the prompt; otherwise a resumed run names its session first.
const [sessionId, prompt] =
  resume && !options.flags.has('--last') ? options.positionals : [null, options.positionals[0]];
options.prompt = prompt ?? null;
if (options.prompt === null) {
  process.stderr.write('No prompt provided. Either specify one as an argument or pipe the prompt into stdin.\n');
  process.exit(1);
}
if (!options.flags.has('--skip-git-repo-check') && !insideGitWorktree()) {
  process.stderr.write('Not inside a trusted directory and --skip-git-repo-check was not specified.\n');
  process.exit(1);
}

if (resume && options.flags.has('--last')) {
  process.stderr.write('fake codex: `exec resume --last` is not faked; resume by session id\n');
  process.exit(1);
}
const earlier = resume ? earlierPrompts('codex', sessionId) : null;
if (resume && !earlier) {
  process.stderr.write(`Error: thread/resume failed: no rollout found for thread id ${sessionId}\n`);
  process.exit(1);
}
const threadId = resume ? sessionId : randomUUID();
rememberPrompt('codex', threadId, earlier, options.prompt);

const json = options.flags.has('--json');
const emit = (event) => json && process.stdout.write(`${JSON.stringify(event)}\n`);
emit({ type: 'thread.started', thread_id: threadId });
emit({ type: 'turn.started' });
let failed = false;
scriptedCommands(options.prompt).forEach((command, index) => {
  const item = { id: `item_${index}`, type: 'command_execution', command: `/bin/bash -lc ${JSON.stringify(command)}` };
  emit({ type: 'item.started', item: { ...item, aggregated_output: '', exit_code: null, status: 'in_progress' } });
  const { exitCode, output } =
    options.sandbox === 'read-only'
      ? { exitCode: 1, output: `/bin/bash: line 1: ${FAKE_FILE}: Read-only file system\n` }
      : runCommand(command);
  if (exitCode !== 0) failed = true;
  emit({
    type: 'item.completed',
    item: { ...item, aggregated_output: output, exit_code: exitCode, status: exitCode === 0 ? 'completed' : 'failed' },
  });
});
const done = failed ? 'I could not complete the task: a command failed.' : `Done: wrote ${FAKE_FILE}.`;
const answer = earlier ? `${done}\n${continuedNote(earlier)}` : done;
if (json) emit({ type: 'item.completed', item: { id: 'item_9', type: 'agent_message', text: answer } });
else process.stdout.write(`${answer}\n`);
emit({
  type: 'turn.completed',
  usage: {
    input_tokens: 10,
    cached_input_tokens: 0,
    cache_write_input_tokens: 0,
    output_tokens: 5,
    reasoning_output_tokens: 0,
  },
});
