import type { ServerContext } from '@modelcontextprotocol/server';
import type { CallContext } from '../fleet-tool.js';
import { canConfirm, confirmAnswer, reply } from './confirm.js';

/**
 * What a tool handler needs of the v2 SDK's per-call context: its abort signal, progress when a token was sent, and
 * the user's answers where the client can ask them (to an agent's question only where the token may `steer` agents).
 */
export function modernCallContext(ctx: ServerContext, steers: boolean): CallContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  const { signal } = ctx.mcpReq;
  const asks = canConfirm(ctx);
  return {
    signal,
    confirm: asks ? (key) => confirmAnswer(ctx, key) : undefined,
    reply: asks && steers ? (key) => reply(ctx, key) : undefined,
    progress:
      progressToken === undefined
        ? undefined
        : async (progress, total, message) => {
            // The SDK aborts a call's signal when its exchange closes, and then the pooled server may be serving
            // another request: the SDK sends a notification on the server's current exchange, so a late one would
            // land in that request's answer.
            if (signal.aborted) return;
            await ctx.mcpReq.notify({
              method: 'notifications/progress',
              params: { progressToken, progress, total, message },
            });
          },
  };
}
