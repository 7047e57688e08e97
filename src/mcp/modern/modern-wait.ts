import type { McpServer } from '@modelcontextprotocol/server';
import type { Fleet } from '../../fleet/fleet.js';
import { WAIT_TOOL, waitInCall, waitInputSchema } from '../tools/wait-for-agent.js';

/** wait_for_agent on a 2026-07-28 request: the same call, with the v2 SDK's request context. */
export function registerModernWait(server: McpServer, fleet: Fleet): void {
  server.registerTool('wait_for_agent', { ...WAIT_TOOL, inputSchema: waitInputSchema }, (args, ctx) =>
    waitInCall(fleet, args, {
      progressToken: ctx.mcpReq._meta?.progressToken,
      notify: (notification) => ctx.mcpReq.notify(notification),
      signal: ctx.mcpReq.signal,
    }),
  );
}
