import { FleetError, listNames } from './errors.js';

/** How many agents may run a task at once: agents being created hold a slot before their process exists. */
export class BusySlots {
  private readonly reserved = new Set<string>();

  constructor(
    private readonly maxBusy: number,
    private readonly running: () => string[],
    private readonly nameOf: (key: string) => string,
  ) {}

  assertFree(action: string): void {
    const busy = [...this.running(), ...this.reserved].map(this.nameOf);
    if (busy.length < this.maxBusy) return;
    throw new FleetError(
      'limit',
      `Cannot ${action}: ${busy.length} of at most ${this.maxBusy} agents are busy (${listNames(busy)}; ` +
        `the limit is FLEET_MCP_MAX_BUSY). Wait for one with wait_for_agent or cancel a task with cancel_agent_task, then retry.`,
    );
  }

  reserve(key: string): void {
    this.reserved.add(key);
  }

  unreserve(key: string): void {
    this.reserved.delete(key);
  }
}
