import type { Client } from '@modelcontextprotocol/client';
import {
  createTaskSessionFromClient,
  type RawClientDispatch,
  type TaskEnabledSession,
} from '@modelcontextprotocol/ext-tasks/client';

const VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'fleet-mcp-test', version: '1.0.0' };
const CAPABILITIES = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

/**
 * The tasks extension's own requester over a connected modern client. It sends its task requests through
 * `rawDispatch`, which the SDK client cannot frame yet: a plain POST with the headers the spec asks for.
 */
export function taskSession(client: Client, mcpUrl: string, token: string): TaskEnabledSession {
  let nextId = 1;
  const rawDispatch: RawClientDispatch = async (request) => {
    const message = request as { method: string; params?: { name?: string; taskId?: string } };
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
    return (await response.json()) as never;
  };
  return createTaskSessionFromClient(client, {
    endpointId: mcpUrl,
    rawDispatch,
    v2RequestFraming: { protocolVersion: VERSION, clientInfo: CLIENT_INFO, clientCapabilities: CAPABILITIES },
  });
}
