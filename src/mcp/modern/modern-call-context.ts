import type { ServerContext } from '@modelcontextprotocol/server';
import type { CallContext } from '../fleet-tool.js';

/** What a tool handler needs of the v2 SDK's per-call context: its abort signal, and progress when a token was sent. */
export function modernCallContext(ctx: ServerContext): CallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    signal: ctx.mcpReq.signal,
    progress:
      progressToken === undefined
        ? undefined
        : (progress, total, message) => ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }),
  };
}
