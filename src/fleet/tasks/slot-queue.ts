/** One task's claim on a busy slot. */
export interface SlotTicket {
  readonly key: string;
  state: 'waiting' | 'holding' | 'released';
}

/**
 * At most `size` tasks run at once; the rest wait first come, first served. Agents wait on the network rather
 * than the CPU, so a caller is better served by a queue than by a refusal it would have to poll around.
 */
export class SlotQueue {
  private holding = 0;
  private readonly waiting: { ticket: SlotTicket; granted: () => void }[] = [];

  constructor(private readonly size: number) {}

  /** Takes a slot at once when one is free and nobody waits; otherwise queues, and `granted` runs when it is its turn. */
  request(key: string, granted: () => void): SlotTicket {
    const ticket: SlotTicket = { key, state: 'waiting' };
    if (this.holding < this.size && this.waiting.length === 0) {
      ticket.state = 'holding';
      this.holding += 1;
    } else {
      this.waiting.push({ ticket, granted });
    }
    return ticket;
  }

  /** Takes a slot for a task that already runs (found again after a restart), even past the limit. */
  occupy(key: string): SlotTicket {
    this.holding += 1;
    return { key, state: 'holding' };
  }

  /** Gives the slot back (or leaves the queue); the next waiter gets it. Releasing twice does nothing. */
  release(ticket: SlotTicket): void {
    if (ticket.state === 'waiting') {
      const at = this.waiting.findIndex((entry) => entry.ticket === ticket);
      if (at >= 0) this.waiting.splice(at, 1);
    } else if (ticket.state === 'holding') {
      this.holding -= 1;
      this.grantNext();
    }
    ticket.state = 'released';
  }

  /** 1 for the next ticket to get a slot; null when the ticket does not wait. */
  position(ticket: SlotTicket): number | null {
    const at = this.waiting.findIndex((entry) => entry.ticket === ticket);
    return at < 0 ? null : at + 1;
  }

  private grantNext(): void {
    const next = this.waiting.shift();
    if (!next) return;
    next.ticket.state = 'holding';
    this.holding += 1;
    next.granted();
  }
}
