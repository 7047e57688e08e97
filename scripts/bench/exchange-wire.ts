import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/**
 * A transport for `serveStdio` that hands over one exchange at a time, as an HTTP request would: what a kept
 * connection of the SDK costs without HTTP (modern-parts.ts, modern-statuses.ts).
 */
export class ExchangeWire {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  protected readonly waiting = new Map<unknown, (message: JSONRPCMessage) => void>();
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    const id = (message as { id?: unknown }).id;
    this.waiting.get(id)?.(message);
    this.waiting.delete(id);
  }
  exchange(message: JSONRPCMessage & { id: number }): Promise<JSONRPCMessage> {
    return new Promise((answered) => {
      this.waiting.set(message.id, answered);
      this.onmessage?.(message);
    });
  }
}
