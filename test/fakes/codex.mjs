#!/usr/bin/env node
// A fake `codex` (Codex CLI 0.171) for the fast suite: `codex exec` parses its options like the real one (clap:
// unknown options and extra arguments are refused with exit 2, `--` ends the options, `--name=value` works),
// refuses a directory outside git without --skip-git-repo-check, and with `--json` prints the events of
// `codex exec --json`. Its scripted work: write the prompt into a file and commit it. The default read-only
// sandbox makes that work fail, as it does in the real CLI.
import { FAKE_FILE, insideGitWorktree, runCommand, scriptedCommands } from './fake-work.mjs';

const USAGE = 'Usage: codex exec [OPTIONS] [PROMPT]\n       codex exec [OPTIONS] <COMMAND> [ARGS]\n\nFor more information, try \'--help\'.\n';
const FLAGS = new Set(['--json', '--skip-git-repo-check', '--full-auto', '--dangerously-bypass-approvals-and-sandbox', '--ephemeral', '--oss']);
const VALUED = new Map([
  ['--sandbox', '--sandbox <SANDBOX_MODE>'], ['-s', '--sandbox <SANDBOX_MODE>'],
  ['--add-dir', '--add-dir <DIR>'], ['--model', '--model <MODEL>'], ['-m', '--model <MODEL>'],
  ['--config', '--config <key=value>'], ['-c', '--config <key=value>'], ['--cd', '--cd <DIR>'], ['-C', '--cd <DIR>'],
  ['--profile', '--profile <CONFIG_PROFILE>'], ['-p', '--profile <CONFIG_PROFILE>'],
  ['--output-last-message', '--output-last-message <FILE>'], ['-o', '--output-last-message <FILE>'], ['--color', '--color <COLOR>'],
]);
const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'];

function fail(message) {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parse(args) {
  const options = { flags: new Set(), values: new Map(), prompt: null };
  const positional = (arg) => (options.prompt === null ? (options.prompt = arg) : fail(`unexpected argument '${arg}' found`));
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
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (FLAGS.has(name) && inline === undefined) options.flags.add(name);
    else if (VALUED.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) fail(`a value is required for '${VALUED.get(name)}' but none was supplied`);
      const key = VALUED.get(name).split(' ')[0];
      options.values.set(key, [...(options.values.get(key) ?? []), value]);
    } else fail(`unexpected argument '${name}' found\n\n  tip: to pass '${name}' as a value, use '-- ${name}'`);
  }
  const sandbox = options.values.get('--sandbox')?.at(-1) ?? 'read-only';
  if (!SANDBOX_MODES.includes(sandbox)) fail(`invalid value '${sandbox}' for '--sandbox <SANDBOX_MODE>'\n  [possible values: ${SANDBOX_MODES.join(', ')}]`);
  return { ...options, sandbox };
}

const [subcommand, ...rest] = process.argv.slice(2);
if (subcommand !== 'exec') {
  process.stderr.write('Error: stdin is not a terminal\n');
  process.exit(1);
}
const options = parse(rest);
if (options.prompt === null) {
  process.stderr.write('No prompt provided. Either specify one as an argument or pipe the prompt into stdin.\n');
  process.exit(1);
}
if (!options.flags.has('--skip-git-repo-check') && !insideGitWorktree()) {
  process.stderr.write('Not inside a trusted directory and --skip-git-repo-check was not specified.\n');
  process.exit(1);
}

const json = options.flags.has('--json');
const emit = (event) => json && process.stdout.write(`${JSON.stringify(event)}\n`);
emit({ type: 'thread.started', thread_id: '00000000-0000-7000-8000-000000000000' });
emit({ type: 'turn.started' });
let failed = false;
scriptedCommands(options.prompt).forEach((command, index) => {
  const item = { id: `item_${index}`, type: 'command_execution', command: `/bin/bash -lc ${JSON.stringify(command)}` };
  emit({ type: 'item.started', item: { ...item, aggregated_output: '', exit_code: null, status: 'in_progress' } });
  const { exitCode, output } =
    options.sandbox === 'read-only' ? { exitCode: 1, output: `/bin/bash: line 1: ${FAKE_FILE}: Read-only file system\n` } : runCommand(command);
  if (exitCode !== 0) failed = true;
  emit({ type: 'item.completed', item: { ...item, aggregated_output: output, exit_code: exitCode, status: exitCode === 0 ? 'completed' : 'failed' } });
});
const answer = failed ? 'I could not complete the task: a command failed.' : `Done: wrote ${FAKE_FILE}.`;
if (json) emit({ type: 'item.completed', item: { id: 'item_9', type: 'agent_message', text: answer } });
else process.stdout.write(`${answer}\n`);
emit({ type: 'turn.completed', usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 5, reasoning_output_tokens: 0 } });
