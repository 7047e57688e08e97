// A mock of the OpenAI Responses API (POST /v1/responses, streamed as server-sent events) for the Codex CLI. It
// follows a scenario (see ../scenarios.mjs): the step is picked by how many tool results the request carries.
// A file write goes through codex's `apply_patch` tool when the request offers it (a freeform "custom" tool),
// else through its shell tool `exec_command`.
import { startRecorder } from '../record.mjs';
import { stepFor } from '../scenarios.mjs';
import { ERROR_BODIES, failAsProvider } from './provider-failure.mjs';

/** @param {{ steps: object[] }} scenario A step may also be `{ error: { status, message } }`: the API fails. */
export function startOpenAiResponsesMock(scenario) {
  let responses = 0;
  return startRecorder((request, res) => {
    if (request.method !== 'POST' || !request.path.startsWith('/v1/responses')) {
      return json(res, 404, { error: { message: `mock: no route ${request.method} ${request.path}` } });
    }
    if (failAsProvider(scenario, res, ERROR_BODIES.openai)) return undefined;
    const input = Array.isArray(request.body?.input) ? request.body.input : [];
    const step = stepFor(
      scenario,
      input.filter((item) => item.type === 'function_call_output' || item.type === 'custom_tool_call_output').length,
    );
    if (step.error)
      return json(res, step.error.status, { error: { message: step.error.message, type: 'server_error', code: null } });
    const id = `resp_mock_${++responses}`;
    const item =
      step.text !== undefined
        ? message(id, step.text)
        : step.write
          ? writeCall(id, step.write, request.body?.tools ?? [])
          : step.ask
            ? askCall(id, step.ask)
            : shellCall(id, step.shell.command);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    event(res, { type: 'response.created', response: { id } });
    event(res, { type: 'response.output_item.added', output_index: 0, item });
    if (step.text !== undefined)
      event(res, {
        type: 'response.output_text.delta',
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        delta: step.text,
      });
    event(res, { type: 'response.output_item.done', output_index: 0, item });
    event(res, {
      type: 'response.completed',
      response: {
        id,
        usage: {
          input_tokens: 10,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 5,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 15,
        },
      },
    });
    res.end();
  });
}

function event(res, data) {
  res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function json(res, status, data) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(data));
}

function shellCall(id, cmd) {
  return {
    type: 'function_call',
    id: `fc_${id}`,
    call_id: `call_${id}`,
    name: 'exec_command',
    arguments: JSON.stringify({ cmd }),
  };
}

/** Codex's asking tool takes AskUserQuestion's questions with an `id` each and without `multiSelect`. */
function askCall(id, ask) {
  const questions = ask.questions.map(({ question, header, options }, index) => ({
    id: `question_${index + 1}`,
    header,
    question,
    options,
  }));
  return {
    type: 'function_call',
    id: `fc_${id}`,
    call_id: `call_${id}`,
    name: 'request_user_input',
    arguments: JSON.stringify({ questions }),
  };
}

function writeCall(id, write, tools) {
  if (!tools.some((tool) => tool.type === 'custom' && tool.name === 'apply_patch'))
    return shellCall(id, writeCommand(write));
  const lines = write.content
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `+${line}`);
  const input = ['*** Begin Patch', `*** Add File: ${write.path}`, ...lines, '*** End Patch'].join('\n');
  return { type: 'custom_tool_call', id: `ctc_${id}`, call_id: `call_${id}`, name: 'apply_patch', input };
}

function message(id, text) {
  return {
    type: 'message',
    id: `msg_${id}`,
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

function writeCommand({ path, content }) {
  return `printf '%s' ${quote(content)} > ${quote(path)}`;
}

function quote(text) {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
