import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallContext } from './fleet-tool.js';

/** What a tool handler needs of the v1 SDK's per-call `extra`: its abort signal, and progress when a token was sent. */
export function v1CallContext(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): CallContext {
  const progressToken = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    progress:
      progressToken === undefined
        ? undefined
        : (progress, total, message) =>
            extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress, total, message },
            }),
  };
}
