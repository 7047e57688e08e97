import {
  WebStandardStreamableHTTPServerTransport,
  type WebStandardStreamableHTTPServerTransportOptions,
} from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { JsonExchanges } from './json-exchanges.js';

/**
 * A session's transport: the SDK's Streamable HTTP transport for everything a session does (initialize, GET
 * streams, event-stream answers, DELETE), and beside it plain JSON exchanges for requests that need no stream,
 * which skip the per-request stream, timer and header copies of an event-stream answer. What the server sends
 * goes to the JSON exchange waiting for it, else to the SDK's transport.
 */
export class SessionTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly http: WebStandardStreamableHTTPServerTransport;
  private readonly exchanges = new JsonExchanges();
  private closed = false;

  constructor(options: WebStandardStreamableHTTPServerTransportOptions) {
    this.http = new WebStandardStreamableHTTPServerTransport(options);
    this.http.onmessage = (message, extra) => {
      this.onmessage?.(message, extra);
      this.exchanges.received(message);
    };
    this.http.onclose = () => {
      this.closed = true;
      this.exchanges.closeAll();
      this.onclose?.();
    };
    this.http.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.http.sessionId;
  }

  start(): Promise<void> {
    return this.http.start();
  }

  close(): Promise<void> {
    return this.http.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.exchanges.deliver(message, options?.relatedRequestId)) return;
    await this.http.send(message, options);
  }

  /**
   * Answers these messages as JSON; undefined when the session has closed or one of the ids is already being
   * answered that way (the SDK's transport then answers as it would).
   */
  exchange(
    messages: readonly JSONRPCMessage[],
    requestIds: readonly RequestId[],
  ): Promise<JSONRPCMessage[]> | undefined {
    if (this.closed) return undefined;
    return this.exchanges.exchange(messages, requestIds, this.onmessage);
  }
}
