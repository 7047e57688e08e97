#!/usr/bin/env node
// A fake of Claude Code's print mode for the fast tests: parses its arguments the way the real CLI (commander) does,
// refusing unknown options with the real message and exit code, and prints the same stream-json events.
import { randomUUID } from 'node:crypto';
import { insideCwd, pause, perform, steps } from './script.mjs';
import { continuedNote, earlierPrompts, rememberPrompt } from './sessions.mjs';

const BOOLEAN = new Set([
  '-p',
  '--print',
  '--verbose',
  '--dangerously-skip-permissions',
  '-c',
  '--continue',
  '--include-partial-messages',
]);
const VALUE = new Set([
  '--output-format',
  '--input-format',
  '--permission-mode',
  '--model',
  '--max-turns',
  '--append-system-prompt',
  '--system-prompt',
  '--settings',
  '--session-id',
  '-r',
  '--resume',
  '--fallback-model',
]);
// Options that take several values: without `=`, they swallow every following argument that is not an option.
const VARIADIC = new Set([
  '--allowedTools',
  '--allowed-tools',
  '--disallowedTools',
  '--disallowed-tools',
  '--add-dir',
  '--mcp-config',
]);
const CHOICES = {
  '--output-format': ['text', 'json', 'stream-json'],
  '--permission-mode': ['acceptEdits', 'auto', 'bypassPermissions', 'default', 'dontAsk', 'plan'],
};

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function parse(argv) {
  const options = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-v' || arg === '--version') {
      console.log('2.1.332 (Claude Code)');
      process.exit(0);
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (BOOLEAN.has(name)) options[name.replace(/^-+/, '')] = true;
    else if (VALUE.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`error: option '${name} <value>' argument missing`);
      if (CHOICES[name] && !CHOICES[name].includes(value)) {
        fail(
          `error: option '${name} <${name === '--output-format' ? 'format' : 'mode'}>' argument '${value}' is invalid. Allowed choices are ${CHOICES[name].join(', ')}.`,
        );
      }
      options[name.replace(/^-+/, '')] = value;
    } else if (VARIADIC.has(name)) {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('-')) values.push(argv[++i]);
      options[name.replace(/^-+/, '').replace('allowed-tools', 'allowedTools')] = values
        .flatMap((value) => value.split(/[ ,]+/))
        .filter(Boolean);
    } else fail(`error: unknown option '${arg}'`);
  }
  return { options, prompt: positionals[0] ?? '' };
}

const { options, prompt } = parse(process.argv.slice(2));
const print = options.p || options.print;
if (!print) fail('fake claude: only print mode (-p) is faked');
const format = options['output-format'] ?? 'text';
if (format === 'stream-json' && !options.verbose)
  fail('Error: When using --print, --output-format=stream-json requires --verbose');
const bypass = options['dangerously-skip-permissions'] || options['permission-mode'] === 'bypassPermissions';
if (bypass && process.getuid?.() === 0 && process.env.IS_SANDBOX !== '1') {
  fail('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons');
}
if (!prompt.trim())
  fail('Error: Input must be provided either through stdin or as a prompt argument when using --print');

// --continue: the most recent conversation of this directory, as the real CLI keeps them per project directory.
const resumed = options.c || options.continue;
const earlier = resumed ? earlierPrompts('claude', process.cwd()) : null;
if (resumed && !earlier) fail('No conversation found to continue');
rememberPrompt('claude', process.cwd(), earlier, prompt);

const allowed = new Set(options.allowedTools ?? []);
const mode = options['permission-mode'] ?? 'default';
const session = randomUUID();
const emit = (event) => format === 'stream-json' && console.log(JSON.stringify({ ...event, session_id: session }));

function permitted(step) {
  if (bypass) return true;
  if (step.tool === 'shell') return allowed.has('Bash');
  if (!insideCwd(step.path)) return false;
  return mode === 'acceptEdits' || allowed.has('Write') || allowed.has('Edit');
}

// Every model reply uses what the mock of scripts/verify-agents answers: 100 input and 20 output tokens.
const REPLY_USAGE = {
  input_tokens: 100,
  output_tokens: 20,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};
let replies = 0;
const reply = (content) => {
  replies += 1;
  emit({
    type: 'assistant',
    message: {
      id: `msg_${randomUUID().slice(0, 8)}`,
      role: 'assistant',
      model: 'fake-claude',
      content,
      usage: REPLY_USAGE,
    },
  });
};
const sessionUsage = () => ({
  input_tokens: 100 * replies,
  output_tokens: 20 * replies,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
});
// $5 per million input tokens, $15 per million output tokens.
const sessionCost = () => (100 * replies * 5 + 20 * replies * 15) / 1e6;

/** An API that never answers: silence, until a SIGINT, after which the CLI takes a second to save its session and exit. */
function hangUntilInterrupted() {
  setInterval(() => {}, 60_000);
  process.on('SIGINT', () => setTimeout(() => process.exit(130), 1000));
  return new Promise(() => {});
}

/** The API failing as the real CLI reports it: retry notices, then the error as a message and an error result, exit 1. */
function apiFailure(step) {
  const kind = {
    401: ['authentication_failed', 'authentication_error'],
    429: ['rate_limit', 'rate_limit_error'],
    529: ['overloaded', 'overloaded_error'],
  }[step.status] ?? ['server_error', 'api_error'];
  for (let attempt = 1; step.mode === 'retry' || attempt <= 2; attempt++) {
    emit({
      type: 'system',
      subtype: 'api_retry',
      attempt,
      max_retries: step.mode === 'retry' ? 10 : 2,
      retry_delay_ms: 200,
      error_status: step.status,
      error: kind[0],
    });
    pause(200);
  }
  const text = `API Error: ${step.status} fake provider says no`;
  emit({
    type: 'assistant',
    error: kind[0],
    is_api_error_message: true,
    api_error_status: step.status,
    api_error_type: kind[1],
    message: {
      id: randomUUID(),
      role: 'assistant',
      model: '<synthetic>',
      content: [{ type: 'text', text }],
      usage: { ...REPLY_USAGE, input_tokens: 0, output_tokens: 0 },
    },
  });
  emit({
    type: 'result',
    subtype: 'success',
    is_error: true,
    num_turns: 1,
    duration_ms: 1,
    result: text,
    api_error_status: step.status,
    total_cost_usd: sessionCost(),
    usage: sessionUsage(),
    permission_denials: [],
  });
  process.exit(1);
}

emit({
  type: 'system',
  subtype: 'init',
  cwd: process.cwd(),
  tools: ['Bash', 'Edit', 'Read', 'Write'],
  model: 'fake-claude',
  permissionMode: mode,
  claude_code_version: '2.1.332',
});
const denials = [];
for (const step of steps(prompt)) {
  if (step.tool === 'api' && step.mode === 'hang') await hangUntilInterrupted();
  if (step.tool === 'api') apiFailure(step);
  const id = `toolu_${randomUUID().slice(0, 8)}`;
  const name = step.tool === 'write' ? 'Write' : 'Bash';
  const input = step.tool === 'write' ? { file_path: step.path, content: step.content } : { command: step.command };
  reply([{ type: 'tool_use', id, name, input }]);
  if (!permitted(step)) {
    const message = `Claude requested permissions to use ${name}, but you haven't granted it yet.`;
    denials.push({ tool_name: name, tool_use_id: id, tool_input: input });
    emit({ type: 'system', subtype: 'permission_denied', tool_name: name, tool_use_id: id, message });
    emit({
      type: 'user',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: message, is_error: true }] },
    });
    continue;
  }
  const { ok, output } = perform(step);
  emit({
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: output, is_error: !ok }] },
  });
}
const answer = earlier ? `prompt: ${prompt}\n${continuedNote(earlier)}` : `prompt: ${prompt}`;
reply([{ type: 'text', text: answer }]);
const result = {
  type: 'result',
  subtype: 'success',
  is_error: false,
  num_turns: 1,
  duration_ms: 1,
  result: answer,
  total_cost_usd: sessionCost(),
  usage: sessionUsage(),
  permission_denials: denials,
};
if (format === 'stream-json') emit(result);
else if (format === 'json') console.log(JSON.stringify({ ...result, session_id: session }));
else console.log(answer);
