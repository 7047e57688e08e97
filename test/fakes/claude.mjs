#!/usr/bin/env node
// A fake of Claude Code's print mode for the fast tests: parses its arguments the way the real CLI (commander) does,
// refusing unknown options with the real message and exit code, and prints the same stream-json events. With
// --input-format=stream-json it reads its task as the first stdin line and, with --permission-prompt-tool=stdio, puts
// its questions and permission prompts to its host as control_request lines answered on stdin, as the real CLI does
// (scripts/verify-agents/ask): at the end of its input it exits 0 after a result, 1 while a question waits.
import { randomUUID } from 'node:crypto';
import { readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
  '--permission-prompt-tool',
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
  '--input-format': ['text', 'stream-json'],
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

/** Its stdin, read line by line as the real CLI's stream-json input is; null at its end. */
const input = { buffer: '', ended: false, decoder: new StringDecoder('utf8') };
function readLine() {
  for (;;) {
    const index = input.buffer.indexOf('\n');
    if (index >= 0) {
      const line = input.buffer.slice(0, index);
      input.buffer = input.buffer.slice(index + 1);
      return line;
    }
    if (input.ended) return null;
    const chunk = Buffer.alloc(65536);
    let read = 0;
    try {
      read = readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      pause(20);
      continue;
    }
    if (read === 0) input.ended = true;
    else input.buffer += input.decoder.write(chunk.subarray(0, read));
  }
}

/** The next JSON message on stdin, lines that are none skipped; null at the end of the input. */
function readMessage() {
  for (;;) {
    const line = readLine();
    if (line === null) return null;
    try {
      const message = JSON.parse(line);
      if (typeof message === 'object' && message !== null) return message;
    } catch {
      process.stderr.write(`fake claude: not JSON on stdin: ${line.slice(0, 80)}\n`);
    }
  }
}

/** User messages that came while a control response was awaited: the turns after this one. */
const laterMessages = [];
function nextUserText() {
  for (;;) {
    const message = laterMessages.shift() ?? readMessage();
    if (message === null) return null;
    if (message.type === 'user') return String(message.message?.content ?? '');
  }
}

const parsed = parse(process.argv.slice(2));
const { options } = parsed;
const print = options.p || options.print;
if (!print) fail('fake claude: only print mode (-p) is faked');
const format = options['output-format'] ?? 'text';
if (format === 'stream-json' && !options.verbose)
  fail('Error: When using --print, --output-format=stream-json requires --verbose');
const streamInput = options['input-format'] === 'stream-json';
if (streamInput && format !== 'stream-json')
  fail('Error: --input-format=stream-json requires output-format=stream-json.');
const hostPrompts = options['permission-prompt-tool'] === 'stdio';
const prompt = streamInput ? (nextUserText() ?? '') : parsed.prompt;
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
const controlRequest = (requestId, request) =>
  console.log(JSON.stringify({ type: 'control_request', request_id: requestId, request }));

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

/** The host's control_response to `requestId`; null when the input ended first. */
function awaitResponse(requestId) {
  for (;;) {
    const message = readMessage();
    if (message === null) return null;
    if (message.type === 'user') laterMessages.push(message);
    const response = message.type === 'control_response' ? message.response : null;
    if (response?.request_id === requestId) return response;
  }
}

const toolResult = (id, content, isError) =>
  emit({
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content, is_error: isError }] },
  });

/** The end of the input while a prompt waits: the CLI withdraws it, ends its turn with an error and exits 1. */
function inputEndedWhileWaiting(requestId, id) {
  console.log(JSON.stringify({ type: 'control_cancel_request', request_id: requestId }));
  toolResult(id, "The user doesn't want to proceed with this tool use. The tool use was rejected.", true);
  emit({
    type: 'user',
    message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user for tool use]' }] },
  });
  emit({
    type: 'result',
    subtype: 'error_during_execution',
    is_error: true,
    num_turns: 1,
    duration_ms: 1,
    total_cost_usd: sessionCost(),
    usage: sessionUsage(),
    permission_denials: [],
  });
  process.exit(1);
}

const answered = [];
/** AskUserQuestion: without a host to ask (plain -p) the tool is not there at all. */
function ask(step, id) {
  const input = {
    questions: [
      {
        question: step.question,
        header: 'Question',
        options: step.labels.map((label) => ({ label, description: `option ${label}` })),
        multiSelect: step.multiSelect,
      },
    ],
  };
  reply([{ type: 'tool_use', id, name: 'AskUserQuestion', input }]);
  if (!hostPrompts)
    return toolResult(id, '<tool_use_error>Error: No such tool available: AskUserQuestion</tool_use_error>', true);
  const requestId = randomUUID();
  controlRequest(requestId, {
    subtype: 'can_use_tool',
    tool_name: 'AskUserQuestion',
    display_name: 'AskUserQuestion',
    input,
    tool_use_id: id,
    requires_user_interaction: true,
  });
  const response = awaitResponse(requestId);
  if (response === null) inputEndedWhileWaiting(requestId, id);
  const decision = response.response ?? {};
  if (decision.behavior !== 'allow') {
    // As the real CLI: a declined question is listed among the result's permission denials.
    denials.push({ tool_name: 'AskUserQuestion', tool_use_id: id, tool_input: input });
    return toolResult(id, String(decision.message ?? 'denied'), true);
  }
  const answers = Object.entries(decision.updatedInput?.answers ?? {});
  answered.push(...answers.map(([question, answer]) => `answered: ${question}=${answer}`));
  const said = answers.map(([question, answer]) => `"${question}"="${answer}"`).join(', ');
  toolResult(id, `Your questions have been answered: ${said}. You can now continue with these answers in mind.`, false);
}

/** A prompt the CLI's own rules do not settle goes to the host; its deny is a denial like the CLI's own. */
function askPermission(name, id, input) {
  const requestId = randomUUID();
  controlRequest(requestId, {
    subtype: 'can_use_tool',
    tool_name: name,
    display_name: name,
    input,
    decision_reason: 'Path is outside allowed working directories',
    decision_reason_type: 'workingDir',
    tool_use_id: id,
  });
  const response = awaitResponse(requestId);
  if (response === null) inputEndedWhileWaiting(requestId, id);
  return response.response?.behavior === 'allow' ? null : String(response.response?.message ?? 'denied');
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
  if (step.tool === 'ask') {
    ask(step, id);
    continue;
  }
  const name = step.tool === 'write' ? 'Write' : 'Bash';
  const input = step.tool === 'write' ? { file_path: step.path, content: step.content } : { command: step.command };
  reply([{ type: 'tool_use', id, name, input }]);
  if (!permitted(step) && hostPrompts) {
    const denied = askPermission(name, id, input);
    if (denied !== null) {
      denials.push({ tool_name: name, tool_use_id: id, tool_input: input });
      toolResult(id, denied, true);
      continue;
    }
  } else if (!permitted(step)) {
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
const said = [`prompt: ${prompt}`, ...answered, ...(earlier ? [continuedNote(earlier)] : [])];
const answer = said.join('\n');
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
if (streamInput) {
  // Reads on after its result: each further message is a turn of its own; the end of the input ends it.
  for (let text = nextUserText(); text !== null; text = nextUserText()) {
    reply([{ type: 'text', text: `prompt: ${text}` }]);
    emit({ ...result, result: `prompt: ${text}`, num_turns: 1, usage: sessionUsage(), total_cost_usd: sessionCost() });
  }
  process.exit(0);
}
if (format === 'json') console.log(JSON.stringify({ ...result, session_id: session }));
else if (format === 'text') console.log(answer);
