#!/usr/bin/env node
// A fake `gemini` (Gemini CLI 0.61) for the fast suite: parses its options like the real one (yargs: unknown
// options end with "Unknown argument" and exit 1, an option after `-p` is "Not enough arguments following: p",
// `--` ends the options, `--name=value` works), exits 55 in an untrusted directory, leaves tools out of a headless
// run unless approval mode is yolo, and prints the events of `--output-format stream-json` (or the json/text
// forms). Its scripted work: write the prompt into a file and commit it.
import { FAKE_FILE, runCommand, scriptedCommands } from './fake-work.mjs';
import { continuedNote, earlierPrompts, rememberPrompt } from './sessions.mjs';

const USAGE =
  'Usage: gemini [options] [command]\n\nGemini CLI - Defaults to interactive mode. Use -p/--prompt for non-interactive (headless) mode.\n';
const BOOLEANS = new Map([
  ['--skip-trust', 'skipTrust'],
  ['--yolo', 'yolo'],
  ['-y', 'yolo'],
  ['--debug', 'debug'],
  ['-d', 'debug'],
  ['--sandbox', 'sandbox'],
  ['-s', 'sandbox'],
]);
const STRINGS = new Map([
  ['--prompt', 'prompt'],
  ['-p', 'prompt'],
  ['--resume', 'resume'],
  ['-r', 'resume'],
  ['--approval-mode', 'approvalMode'],
  ['--output-format', 'outputFormat'],
  ['-o', 'outputFormat'],
  ['--model', 'model'],
  ['-m', 'model'],
  ['--include-directories', 'includeDirectories'],
]);
const CHOICES = {
  approvalMode: ['default', 'auto_edit', 'yolo', 'plan'],
  outputFormat: ['text', 'json', 'stream-json'],
};

function fail(message) {
  process.stderr.write(`${USAGE}\n${message}\n`);
  process.exit(1);
}

function parse(args) {
  const options = { query: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      options.query.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      options.query.push(arg);
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (BOOLEANS.has(name)) options[BOOLEANS.get(name)] = inline === undefined || inline === 'true';
    else if (STRINGS.has(name)) {
      const value = inline ?? args[i + 1];
      if (value === undefined || (inline === undefined && value.startsWith('-')))
        fail(`Not enough arguments following: ${name.replace(/^-+/, '')}`);
      if (inline === undefined) i++;
      options[STRINGS.get(name)] = value;
    } else if (name === '--version' || name === '-v') {
      process.stdout.write('0.61.0\n');
      process.exit(0);
    } else fail(`Unknown argument: ${name.replace(/^-+/, '')}`);
  }
  for (const [key, choices] of Object.entries(CHOICES)) {
    if (options[key] !== undefined && !choices.includes(options[key]))
      fail(
        `Invalid values:\n  Argument: ${key}, Given: "${options[key]}", Choices: ${choices.map((c) => `"${c}"`).join(', ')}`,
      );
  }
  return options;
}

const options = parse(process.argv.slice(2));
if (!options.skipTrust && process.env.GEMINI_CLI_TRUST_WORKSPACE !== 'true') {
  process.stderr.write(
    'Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode.\n',
  );
  process.exit(55);
}
if (options.prompt === undefined) {
  process.stderr.write(
    'No input provided via stdin. Input can be provided by piping data into gemini or using the --prompt option.\n',
  );
  process.exit(1);
}
const prompt = options.query.length > 0 ? `${options.prompt}\n${options.query.join(' ')}` : options.prompt;
// --resume latest: the newest session of this project directory, as the real CLI keeps them.
if (options.resume !== undefined && options.resume !== 'latest')
  fail(`fake gemini: only --resume latest is faked (got ${options.resume})`);
const earlier = options.resume ? earlierPrompts('gemini', process.cwd()) : null;
if (options.resume && !earlier) {
  process.stderr.write('Error resuming session: No previous sessions found for this project.\n');
  process.exit(1);
}
rememberPrompt('gemini', process.cwd(), earlier, prompt);
const yolo = options.yolo || options.approvalMode === 'yolo';
const format = options.outputFormat ?? 'text';
const stream = (event) =>
  format === 'stream-json' &&
  process.stdout.write(`${JSON.stringify({ ...event, timestamp: new Date().toISOString() })}\n`);

stream({ type: 'init', session_id: 'fake-session', model: 'auto' });
stream({ type: 'message', role: 'user', content: prompt });
const calls = [];
scriptedCommands(prompt).forEach((command, index) => {
  const [name, parameters] =
    index === 0 ? ['write_file', { file_path: FAKE_FILE, content: `${prompt}\n` }] : ['run_shell_command', { command }];
  const tool_id = `${name}__fake_${index}`;
  stream({ type: 'tool_use', tool_name: name, tool_id, parameters });
  if (!yolo) {
    const message = `Tool "${name}" not found.`;
    calls.push(false);
    stream({
      type: 'tool_result',
      tool_id,
      status: 'error',
      output: message,
      error: { type: 'tool_not_registered', message },
    });
    return;
  }
  const { exitCode, output } = runCommand(command);
  calls.push(exitCode === 0);
  stream({
    type: 'tool_result',
    tool_id,
    status: 'success',
    output: exitCode === 0 ? output.trim() : `${output.trim()}\nCommand exited with code: ${exitCode}`,
  });
});
const done = calls.every(Boolean) ? `Done: wrote ${FAKE_FILE}.` : 'I could not complete the task.';
const answer = earlier ? `${done}\n${continuedNote(earlier)}` : done;
// As the real CLI sums them over its models: input_tokens hold the cached ones, input does not.
const tokens = { total_tokens: 15, input_tokens: 10, output_tokens: 5, cached: 0, input: 10 };
const stats = { ...tokens, duration_ms: 1, tool_calls: calls.length, models: { 'fake-gemini': tokens } };
stream({ type: 'message', role: 'assistant', content: answer, delta: true });
stream({ type: 'result', status: 'success', stats });
if (format === 'json')
  process.stdout.write(`${JSON.stringify({ session_id: 'fake-session', response: answer, stats }, null, 2)}\n`);
if (format === 'text') process.stdout.write(`${answer}\n`);
