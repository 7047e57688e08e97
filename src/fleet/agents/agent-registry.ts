import { EventEmitter } from 'node:events';
import { FleetError, listNames } from '../errors.js';
import type { FleetLogger } from '../logger.js';
import { agentKey } from './names.js';
import type { AgentRecord, Store } from '../store.js';
import type { AgentStatus } from '../types.js';

/** What changed about an agent: its record (status, tasks; also its creation and deletion) or its log. */
export interface AgentChange {
  key: string;
  kind: 'state' | 'log';
}

// A symbol, so no agent key can collide with the channel every change is also sent on.
const ANY_CHANGE = Symbol('any agent change');

/** The agents of the store, looked up by name, with a change signal that waits listen to. */
export class AgentRegistry {
  private readonly changes = new EventEmitter();

  constructor(
    readonly store: Store,
    private readonly logger: FleetLogger,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** The agent's record; an unknown name is an error listing the agents. */
  get(name: string): AgentRecord {
    const record = this.store.get(agentKey(name));
    if (record) return record;
    const names = this.store
      .all()
      .map((other) => other.agent.name)
      .sort();
    const shown = names.length > 50 ? [...names.slice(0, 50), `... ${names.length - 50} more`] : names;
    throw new FleetError('not_found', `No agent named ${JSON.stringify(name)}. Existing agents: ${listNames(shown)}.`);
  }

  find(key: string): AgentRecord | undefined {
    return this.store.get(key);
  }

  all(): AgentRecord[] {
    return this.store.all();
  }

  setStatus(key: string, record: AgentRecord, status: AgentStatus, reason: string | null): void {
    record.agent.status = status;
    record.agent.status_reason = reason;
    record.agent.updated_at = timestamp();
    this.save(key, record);
  }

  /**
   * Marks the agent failed and throws the error that tells the caller why and what to do about it; `output`
   * (e.g. a failed command's last lines) follows in the error, not in the agent's status_reason.
   */
  fail(key: string, record: AgentRecord, reason: string, output: string | null = null): never {
    this.setStatus(key, record, 'failed', reason);
    this.logger.warn({ agent: record.agent.name, reason }, 'agent failed');
    throw new FleetError(
      'failed',
      `Agent "${record.agent.name}" failed: ${reason}. Fix the cause, then call restart_agent to retry, or delete_agent.` +
        (output ? `\n${output}` : ''),
    );
  }

  /** Persists a record changed in place (unless it was deleted meanwhile) and tells the waiters. */
  save(key: string, record: AgentRecord): void {
    if (this.store.get(key) === record) this.store.save(key);
    this.changed(key);
  }

  changed(key: string): void {
    this.changes.emit(key);
    this.changes.emit(ANY_CHANGE, { key, kind: 'state' } satisfies AgentChange);
  }

  /** New lines in the agent's log: only watchers of every agent hear it, waits need not wake for output. */
  logChanged(key: string): void {
    this.changes.emit(ANY_CHANGE, { key, kind: 'log' } satisfies AgentChange);
  }

  /** Hears every change of every agent (state, log), e.g. to tell MCP sessions that subscribed. */
  onAnyChange(listener: (change: AgentChange) => void): () => void {
    this.changes.on(ANY_CHANGE, listener);
    return () => this.changes.off(ANY_CHANGE, listener);
  }

  onChange(key: string, listener: () => void): () => void {
    this.changes.on(key, listener);
    return () => this.changes.off(key, listener);
  }
}

export function timestamp(): string {
  return new Date().toISOString();
}
