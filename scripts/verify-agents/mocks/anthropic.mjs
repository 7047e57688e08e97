// A mock of the Anthropic Messages API (POST /v1/messages, streaming and not, tool_use) that follows a scenario.
import { randomUUID } from 'node:crypto';
import { startRecorder } from '../record.mjs';
import { stepFor } from '../scenarios.mjs';
import { ERROR_BODIES, failAsProvider } from './provider-failure.mjs';

/**
 * @param {object} options
 * @param {object} options.scenario one of SCENARIOS
 * @param {(step: object, request: object) => { name: string, input: object }} options.toolUse
 *   maps a neutral `write`/`shell` step to the CLI's tool name and input
 */
export function startAnthropicMock({ scenario, toolUse }) {
  return startRecorder((request, res) => {
    const path = request.path.split('?')[0];
    if (request.method === 'POST' && path.endsWith('/messages/count_tokens')) return json(res, { input_tokens: 100 });
    if (request.method === 'POST' && path.endsWith('/messages')) {
      if (failAsProvider(scenario, res, ERROR_BODIES.anthropic)) return undefined;
      return answer(request, res, { scenario, toolUse });
    }
    return json(
      res,
      { type: 'error', error: { type: 'not_found_error', message: `mock: no ${request.method} ${path}` } },
      404,
    );
  });
}

function answer(request, res, { scenario, toolUse }) {
  const body = request.body ?? {};
  const content = isMainConversation(body)
    ? scriptedContent(body, request, { scenario, toolUse })
    : [{ type: 'text', text: 'Verification run' }];
  const message = {
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    model: body.model ?? 'mock-model',
    content,
    stop_reason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
  if (body.stream) return stream(res, message);
  return json(res, message);
}

/** The agent's own conversation carries the CLI's tools; titles, summaries and other side requests do not. */
function isMainConversation(body) {
  const tools = (body.tools ?? []).map((tool) => tool.name);
  return tools.length > 1;
}

function scriptedContent(body, request, options) {
  const step = stepFor(options.scenario, countToolResults(body.messages ?? []));
  if (step.text !== undefined) return [{ type: 'text', text: step.text }];
  const { name, input } = options.toolUse(step, request);
  return [{ type: 'tool_use', id: `toolu_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name, input }];
}

function countToolResults(messages) {
  let count = 0;
  for (const message of messages) {
    if (message.role !== 'user' || !Array.isArray(message.content)) continue;
    count += message.content.filter((block) => block.type === 'tool_result').length;
  }
  return count;
}

/** The working directory the CLI states in its prompt (system or first messages), so file tools get absolute paths. */
export function workdirFrom(request) {
  const text = JSON.stringify([request.body?.system ?? '', request.body?.messages ?? []]).replaceAll('\\n', '\n');
  const match = /working directory:\s*(\/[^\s"\\]+)/i.exec(text);
  if (!match) throw new Error('the request names no working directory in its prompt');
  return match[1].replace(/[.,;]$/, '');
}

/** The text blocks of the first user message of a conversation: where the task text must arrive as one block. */
export function firstUserTexts(body) {
  const first = (body?.messages ?? []).find((message) => message.role === 'user');
  if (!first) return [];
  if (typeof first.content === 'string') return [first.content];
  return first.content.filter((block) => block.type === 'text').map((block) => block.text);
}

export function mainConversations(requests) {
  return requests.filter(
    (request) => request.path.split('?')[0].endsWith('/messages') && isMainConversation(request.body ?? {}),
  );
}

function json(res, value, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function stream(res, message) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
  });
  message.content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      send('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      send('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', {
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: message.usage.output_tokens },
  });
  send('message_stop', {});
  res.end();
}
