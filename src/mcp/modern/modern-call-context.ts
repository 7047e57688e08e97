import type { ServerContext } from '@modelcontextprotocol/server';
import type { CallContext } from '../fleet-tool.js';
import { canConfirm, confirmAnswer } from './confirm.js';

/**
 * What a tool handler needs of the v2 SDK's per-call context: its abort signal, progress when a token was sent, and
 * the user's answers where the client can ask them.
 */
export function modernCallContext(ctx: ServerContext): CallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    signal: ctx.mcpReq.signal,
    confirm: canConfirm(ctx) ? (key) => confirmAnswer(ctx, key) : undefined,
    progress:
      progressToken === undefined
        ? undefined
        : (progress, total, message) =>
            ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress, total, message },
            }),
  };
}
