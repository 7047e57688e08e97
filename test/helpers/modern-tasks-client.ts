import type { Client, JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import {
  createTaskSessionFromClient,
  type JsonRpcResponse,
  type RawClientDispatch,
  type TaskEnabledSession,
} from '@modelcontextprotocol/ext-tasks/client';

const VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'fleet-mcp-test', version: '1.0.0' };
const CAPABILITIES = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

/** A task request as the tasks extension hands it to its dispatcher, framed with the 2026-07-28 envelope. */
interface TaskRequest {
  method: string;
  params?: { name?: string; taskId?: string };
}

/** A JSON-RPC answer in the shape the extension's dispatcher returns. */
function fromWire(message: unknown): JsonRpcResponse {
  const { result, error } = message as { result?: unknown; error?: unknown };
  return (error === undefined ? { kind: 'result', result } : { kind: 'error', error }) as JsonRpcResponse;
}

/** Sends the extension's requests as plain POSTs with the headers the spec asks for, as `token`. */
export function httpDispatch(mcpUrl: string, token: string): RawClientDispatch {
  let nextId = 1;
  return async (request) => {
    const message = request as unknown as TaskRequest;
    const name = message.params?.name ?? message.params?.taskId;
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Protocol-Version': VERSION,
        'Mcp-Method': message.method,
        ...(name === undefined ? {} : { 'Mcp-Name': name }),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, ...(request as object) }),
    });
    return fromWire(await response.json());
  };
}

/**
 * Sends the extension's requests on a connected client's transport (stdio has no other way in) and takes their
 * answers off it before the client sees them: the client's codec refuses a task handle as a tools/call result. Their
 * ids are strings, which the client's own numeric ids never equal.
 */
export function transportDispatch(transport: Transport): RawClientDispatch {
  const waiting = new Map<string, (response: JSONRPCMessage) => void>();
  const clientHandler = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const id = (message as { id?: unknown }).id;
    const answer = typeof id === 'string' ? waiting.get(id) : undefined;
    if (!answer) return clientHandler?.(message, extra);
    waiting.delete(id as string);
    answer(message);
  };
  let nextId = 1;
  return (request) =>
    new Promise((resolve, reject) => {
      const id = `task-request-${nextId++}`;
      waiting.set(id, (message) => resolve(fromWire(message)));
      transport.send({ jsonrpc: '2.0', id, ...(request as object) } as JSONRPCMessage).catch(reject);
    });
}

/** The tasks extension's own requester over a connected modern client, sending its task requests by `dispatch`. */
export function taskSession(client: Client, endpointId: string, dispatch: RawClientDispatch): TaskEnabledSession {
  return createTaskSessionFromClient(client, {
    endpointId,
    rawDispatch: dispatch,
    v2RequestFraming: { protocolVersion: VERSION, clientInfo: CLIENT_INFO, clientCapabilities: CAPABILITIES },
  });
}
