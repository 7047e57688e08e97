import { MAX_BATCH_SIZE } from '@modelcontextprotocol/sdk/server/requestBody.js';
import {
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

export interface JsonExchangeRequest {
  messages: JSONRPCMessage[];
  /** The ids of the requests among the messages, in order: the answer holds one message for each. */
  requestIds: RequestId[];
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** Headers the SDK's transport would accept as they are; anything else goes to it, so its refusals stay its own. */
function plainHeaders(headers: Headers): boolean {
  const accept = headers.get('accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
  if (!JSON_CONTENT_TYPE.test(headers.get('content-type') ?? '')) return false;
  const version = headers.get('mcp-protocol-version');
  return version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}

function parseMessages(body: unknown): JSONRPCMessage[] | undefined {
  const raw = Array.isArray(body) ? body : [body];
  if (raw.length === 0 || raw.length > MAX_BATCH_SIZE) return undefined;
  const messages: JSONRPCMessage[] = [];
  for (const item of raw) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) return undefined;
    messages.push(parsed.data);
  }
  return messages;
}

type Params = { _meta?: Record<string, unknown>; task?: unknown } | undefined;

/**
 * Whether a message can be answered by one JSON object. Not an initialize (it would leave the caller's capabilities
 * on the server), not an answer from the client (it belongs to a session's streams), nothing that asks for
 * progress or concerns a task (those need an event stream for what the server sends before the answer).
 */
function plainMessage(message: JSONRPCMessage): boolean {
  if (!('method' in message) || message.method === 'initialize' || message.method.startsWith('tasks/')) return false;
  const params = message.params as Params;
  if (params?.task !== undefined) return false;
  return (
    params?._meta === undefined ||
    (params._meta.progressToken === undefined && params._meta['io.modelcontextprotocol/related-task'] === undefined)
  );
}

/**
 * The messages of a POST to answer with plain JSON on a reused server: valid JSON-RPC holding at least one request,
 * with distinct ids, each a plain message. Undefined for anything else, which the SDK's own transport then
 * answers exactly as it always has.
 */
export function jsonExchangeOf(request: Request, parsedBody: unknown): JsonExchangeRequest | undefined {
  if (request.method !== 'POST' || parsedBody === undefined || !plainHeaders(request.headers)) return undefined;
  const messages = parseMessages(parsedBody);
  if (!messages?.every(plainMessage)) return undefined;
  const requestIds: RequestId[] = [];
  for (const message of messages) if ('id' in message) requestIds.push((message as JSONRPCRequest).id);
  if (requestIds.length === 0 || (requestIds.length > 1 && new Set(requestIds).size !== requestIds.length))
    return undefined;
  return { messages, requestIds };
}

/**
 * The answer the SDK's transport gives in its JSON mode: one object for one request, else an array; and when every
 * request was cancelled, nothing (202), as for a POST of notifications only.
 */
export function jsonAnswer(answers: readonly JSONRPCMessage[], sessionId?: string): Response {
  const session: Record<string, string> = sessionId === undefined ? {} : { 'mcp-session-id': sessionId };
  if (answers.length === 0) return new Response(null, { status: 202, headers: session });
  const headers =
    sessionId === undefined ? JSON_HEADERS : { 'Content-Type': 'application/json', 'mcp-session-id': sessionId };
  return new Response(JSON.stringify(answers.length === 1 ? answers[0] : answers), { status: 200, headers });
}

/** Shared by every stateless answer: the Response copies what it is given, so one object serves them all. */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Content-Type': 'application/json' });
