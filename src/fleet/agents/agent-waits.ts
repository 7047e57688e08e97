import type { AgentRegistry } from './agent-registry.js';
import type { AgentRecord } from '../store.js';
import type { AgentStatus } from '../types.js';

/** Statuses during which the agent has, or is about to have, a process; a waiter waits them out. */
export const ACTIVE_STATUSES: ReadonlySet<AgentStatus> = new Set(['starting', 'pending', 'busy', 'canceling']);

export interface WaitOutcome {
  /** The agent's last known record; null when it was deleted while waited for. */
  record: AgentRecord | null;
  last: AgentRecord;
  timed_out: boolean;
}

/**
 * Resolves once the agent is no longer active (or deleted), or `asking()` says its task waits on the user, or when
 * the timeout passes.
 */
export function waitUntilSettled(
  registry: AgentRegistry,
  key: string,
  start: AgentRecord,
  timeoutMs: number,
  asking: () => boolean = () => false,
): Promise<WaitOutcome> {
  let last = start;
  const settled = (): WaitOutcome | null => {
    const current = registry.find(key);
    if (!current) return { record: null, last, timed_out: false };
    last = current;
    return ACTIVE_STATUSES.has(current.agent.status) && !asking() ? null : { record: current, last, timed_out: false };
  };
  const now = settled();
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const stopListening = registry.onChange(key, () => {
      const result = settled();
      if (result) finish(result);
    });
    const timer = setTimeout(() => finish({ record: last, last, timed_out: true }), timeoutMs);
    const finish = (result: WaitOutcome): void => {
      clearTimeout(timer);
      stopListening();
      resolve(result);
    };
  });
}
