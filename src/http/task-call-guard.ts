import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { logText } from '../log-text.js';
import { TASK_TOOL_NAMES } from '../mcp/fleet-tools.js';

/**
 * Refuses a tools/call that asks for a task of a tool that does not run as one, before it reaches the server: the
 * SDK would run the tool and only then fail to make a task of its answer (create_agent would make the agent and
 * answer an error). The spec's answer for it is "Method not found".
 */
export function refuseTaskCalls(body: unknown): Response | undefined {
  for (const message of Array.isArray(body) ? body : [body]) {
    const call = message as { id?: unknown; method?: unknown; params?: { name?: unknown; task?: unknown } } | null;
    if (call?.method !== 'tools/call' || call.params?.task === undefined || typeof call.params.name !== 'string')
      continue;
    if (TASK_TOOL_NAMES.includes(call.params.name)) continue;
    const text = `Tool "${logText(call.params.name, 64)}" does not run as a task: call it without "task" (only ${TASK_TOOL_NAMES.join(', ')} does).`;
    return new Response(
      JSON.stringify({ jsonrpc: '2.0', id: call.id ?? null, error: { code: ErrorCode.MethodNotFound, message: text } }),
      {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      },
    );
  }
  return undefined;
}
