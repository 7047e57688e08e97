// A mock of the Gemini API (`models/<model>:streamGenerateContent?alt=sse`, `:generateContent`) for the Gemini CLI.
// It follows a scenario (see ../scenarios.mjs): the step is picked by how many function responses the conversation
// carries. The CLI's own helper queries (model routing, next-speaker checks) ask for JSON and get a minimal value
// that fits the schema they send.
import { startRecorder } from '../record.mjs';
import { stepFor } from '../scenarios.mjs';
import { ERROR_BODIES, failAsProvider } from './provider-failure.mjs';

/** @param {{ steps: object[] }} scenario A step may also be `{ error: { status, message } }`: the API fails. */
export function startGeminiMock(scenario) {
  return startRecorder((request, res) => {
    const match = /\/models\/([^/:?]+):(streamGenerateContent|generateContent|countTokens)/.exec(request.path);
    if (request.method !== 'POST' || !match)
      return json(res, 404, {
        error: { code: 404, message: `mock: no route ${request.method} ${request.path}`, status: 'NOT_FOUND' },
      });
    const [, model, method] = match;
    if (method === 'countTokens') return json(res, 200, { totalTokens: 10 });
    if (failAsProvider(scenario, res, ERROR_BODIES.google)) return undefined;
    const config = request.body?.generationConfig ?? {};
    const schema = config.responseJsonSchema ?? config.responseSchema;
    if (schema) return json(res, 200, response(model, [{ text: JSON.stringify(valueFor(schema, '')) }]));
    const parts = (request.body?.contents ?? []).flatMap((content) => content.parts ?? []);
    const step = stepFor(scenario, parts.filter((part) => part.functionResponse).length);
    if (step.error)
      return json(res, step.error.status, {
        error: { code: step.error.status, message: step.error.message, status: 'UNAVAILABLE' },
      });
    const answer = response(model, [part(step)]);
    if (method === 'generateContent') return json(res, 200, answer);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify(answer)}\n\n`);
    res.end();
  });
}

function part(step) {
  if (step.write)
    return { functionCall: { name: 'write_file', args: { file_path: step.write.path, content: step.write.content } } };
  if (step.shell)
    return {
      functionCall: { name: 'run_shell_command', args: { command: step.shell.command, description: 'run a command' } },
    };
  return { text: step.text };
}

function response(model, parts) {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
    modelVersion: model,
  };
}

function json(res, status, data) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(data));
}

/** The smallest value of a JSON schema; a next-speaker check hands the turn back to the user so the run ends. */
function valueFor(schema, name) {
  const type = String(schema.type ?? 'object').toLowerCase();
  if (type === 'object')
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, sub]) => [key, valueFor(sub, key)]));
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return false;
  if (name === 'next_speaker') return 'user';
  return schema.enum ? schema.enum[0] : 'mock';
}
