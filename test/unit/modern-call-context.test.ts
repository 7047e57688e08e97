import type { ServerContext } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { modernCallContext } from '../../src/mcp/modern/modern-call-context.js';

/** The part of the SDK's per-call context a call's progress uses: what it sent goes to `sent`. */
function context(signal: AbortSignal, sent: unknown[]): ServerContext {
  const notify = async (notification: unknown): Promise<void> => void sent.push(notification);
  return { mcpReq: { _meta: { progressToken: 't' }, signal, notify } } as unknown as ServerContext;
}

describe('a 2026-07-28 call context', () => {
  it('sends progress while the call is open, and none once the SDK aborted it', async () => {
    const sent: unknown[] = [];
    const aborter = new AbortController();
    const call = modernCallContext(context(aborter.signal, sent), true);
    await call.progress!(1, 2, 'half');
    expect(sent).toEqual([
      { method: 'notifications/progress', params: { progressToken: 't', progress: 1, total: 2, message: 'half' } },
    ]);
    // The exchange closed: its pooled server may be serving another request, whose answer this must not reach.
    aborter.abort();
    await call.progress!(2, 2, 'late');
    expect(sent).toHaveLength(1);
  });
});
