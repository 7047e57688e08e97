import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { JsonExchanges } from './json-exchanges.js';

/**
 * Carries JSON exchanges between HTTP requests and the MCP server connected to it: a request's messages go in, and
 * the answers to its requests come back once all are sent. Unlike the SDK's stateless transport it serves
 * exchange after exchange, so a server need not be rebuilt per request.
 */
export class JsonExchangeTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly exchanges = new JsonExchanges();

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.exchanges.closeAll();
    this.onclose?.();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.exchanges.deliver(message, options?.relatedRequestId);
  }

  /** Hands over messages holding at least one request, all with distinct ids, and resolves with their answers. */
  exchange(messages: readonly JSONRPCMessage[], requestIds: readonly RequestId[]): Promise<JSONRPCMessage[]> {
    const answered = this.exchanges.exchange(messages, requestIds, this.onmessage);
    if (!answered) throw new Error('a request id of this exchange is already being answered on this transport');
    return answered;
  }
}
