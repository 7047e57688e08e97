#!/usr/bin/env node
// A fake of `opencode run` for the fast tests: parses its arguments the way the real CLI (yargs, strict) does,
// answering an unknown option with the usage on stderr and exit code 1, and prints the same `--format json` events.
import { randomUUID } from 'node:crypto';
import { insideCwd, perform, steps } from './script.mjs';
import { continuedNote, earlierPrompts, rememberPrompt } from './sessions.mjs';

const USAGE = 'opencode run [message..]\n\nrun opencode with a message\n';
const BOOLEAN = new Set([
  '--print-logs',
  '--pure',
  '-c',
  '--continue',
  '--fork',
  '--share',
  '--thinking',
  '-i',
  '--interactive',
  '--auto',
  '-h',
  '--help',
]);
const VALUE = new Set([
  '--log-level',
  '--command',
  '-s',
  '--session',
  '-m',
  '--model',
  '--agent',
  '--format',
  '--title',
  '--attach',
  '-p',
  '--password',
  '-u',
  '--username',
  '--dir',
  '--port',
  '--variant',
]);
const CHOICES = { '--format': ['default', 'json'], '--log-level': ['DEBUG', 'INFO', 'WARN', 'ERROR'] };

function usage() {
  process.stderr.write(USAGE);
  process.exit(1);
}

const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === '-v') {
  console.log('1.18.33');
  process.exit(0);
}
if (argv[0] !== 'run') {
  process.stderr.write('fake opencode: only `opencode run` is faked\n');
  process.exit(1);
}
const options = {};
const message = [];
for (let i = 1; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--') {
    message.push(...argv.slice(i + 1));
    break;
  }
  if (!arg.startsWith('-') || arg === '-') {
    message.push(arg);
    continue;
  }
  const [name, inline] = arg.includes('=')
    ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
    : [arg, undefined];
  if (name === '-v' || name === '--version') {
    console.log('1.18.33');
    process.exit(0);
  }
  if (BOOLEAN.has(name)) options[name.replace(/^-+/, '')] = true;
  else if (VALUE.has(name)) {
    const value = inline ?? argv[++i];
    if (value === undefined || (CHOICES[name] && !CHOICES[name].includes(value))) usage();
    options[name.replace(/^-+/, '')] = value;
  } else usage();
}
if (options.h || options.help) usage();
// Like the real CLI: arguments that contain spaces are quoted before they are joined into the message.
const prompt = message.map((part) => (part.includes(' ') ? `"${part.replaceAll('"', '\\"')}"` : part)).join(' ');
if (!prompt.trim()) {
  process.stderr.write('Error: You must provide a message or a command\n');
  process.exit(1);
}

// --session <id>: that session continues; the real CLI fails on an id it does not know.
const session = options.s ?? options.session ?? `ses_${randomUUID().slice(0, 12)}`;
const earlier = options.s || options.session ? earlierPrompts('opencode', session) : null;
if ((options.s || options.session) && !earlier) {
  process.stderr.write(`Error: Session not found: ${session}\n`);
  process.exit(1);
}
rememberPrompt('opencode', session, earlier, prompt);
const json = options.format === 'json';
const emit = (type, part) =>
  json &&
  console.log(
    JSON.stringify({ type, timestamp: Date.now(), sessionID: session, part: { sessionID: session, ...part } }),
  );
const show = (text) => !json && console.log(text);
// Each model step as the real CLI reports it, with the tokens the mock of scripts/verify-agents answers.
const STEP_USAGE = {
  tokens: { total: 120, input: 100, output: 20, reasoning: 0, cache: { write: 0, read: 0 } },
  cost: 0.001,
};

for (const step of steps(message.join('\n'))) {
  emit('step_start', { type: 'step-start' });
  const tool = step.tool === 'write' ? 'write' : 'bash';
  const input =
    step.tool === 'write'
      ? { filePath: step.path, content: step.content }
      : { command: step.command, description: 'fake' };
  if (step.tool === 'write' && !insideCwd(step.path) && !options.auto) {
    process.stderr.write('! permission requested: external_directory; auto-rejecting\n');
    emit('tool_use', {
      type: 'tool',
      tool,
      state: { status: 'error', input, error: 'The user rejected permission to use this specific tool call.' },
    });
    emit('step_finish', { type: 'step-finish', reason: 'tool-calls', ...STEP_USAGE });
    process.exit(0);
  }
  const { output } = perform(step);
  emit('tool_use', { type: 'tool', tool, state: { status: 'completed', input, output } });
  show(`| ${tool} ${output}`);
  emit('step_finish', { type: 'step-finish', reason: 'tool-calls', ...STEP_USAGE });
}
emit('step_start', { type: 'step-start' });
const answer = earlier ? `prompt: ${prompt}\n${continuedNote(earlier)}` : `prompt: ${prompt}`;
emit('text', { type: 'text', text: answer });
show(answer);
emit('step_finish', { type: 'step-finish', reason: 'stop', ...STEP_USAGE });
