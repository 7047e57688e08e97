import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

interface Exchange {
  /** Each request's answer, in the order the requests came; undefined until it is sent. */
  answers: Map<RequestId, JSONRPCMessage | undefined>;
  unanswered: number;
  done: (answers: JSONRPCMessage[]) => void;
}

function isAnswer(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return 'id' in message && !('method' in message);
}

/**
 * The requests a transport is answering with plain JSON, each HTTP request's answers gathered until all are
 * sent. As in the SDK's JSON answer mode, what the server sends about such a request that is not its answer
 * (a notification, a request to the client) has no stream to go on and is dropped; a caller that wants those asks
 * for an event-stream answer instead.
 */
export class JsonExchanges {
  private readonly byRequest = new Map<RequestId, Exchange>();

  /** Starts an exchange for these request ids; undefined when one of them is already being answered. */
  private open(requestIds: readonly RequestId[]): Promise<JSONRPCMessage[]> | undefined {
    if (requestIds.some((id) => this.byRequest.has(id))) return undefined;
    return new Promise((done) => {
      const exchange: Exchange = {
        answers: new Map(requestIds.map((id) => [id, undefined])),
        unanswered: requestIds.length,
        done,
      };
      for (const id of requestIds) this.byRequest.set(id, exchange);
    });
  }

  /**
   * Opens an exchange for the requests among `messages`, hands each message to the server and notes it, and
   * resolves with the answers; undefined when one of the ids is already being answered.
   */
  exchange(
    messages: readonly JSONRPCMessage[],
    requestIds: readonly RequestId[],
    onmessage: ((message: JSONRPCMessage) => void) | undefined,
  ): Promise<JSONRPCMessage[]> | undefined {
    const answered = this.open(requestIds);
    if (!answered) return undefined;
    for (const message of messages) {
      onmessage?.(message);
      this.received(message);
    }
    return answered;
  }

  /** Takes a message the server sends if it belongs to an open exchange; false when it is not one of theirs. */
  deliver(message: JSONRPCMessage, relatedRequestId: RequestId | undefined): boolean {
    const id = isAnswer(message) ? message.id : relatedRequestId;
    const exchange = id === undefined ? undefined : this.byRequest.get(id);
    if (!exchange) return false;
    if (isAnswer(message)) this.settle(exchange, message.id, message);
    return true;
  }

  /**
   * Notes a message from the client: a request cancelled while it is being answered gets no answer from the SDK,
   * so its exchange stops waiting for one and answers with the rest.
   */
  received(message: JSONRPCMessage): void {
    if (!('method' in message) || message.method !== 'notifications/cancelled' || 'id' in message) return;
    const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
    const exchange = requestId === undefined ? undefined : this.byRequest.get(requestId);
    if (exchange) this.settle(exchange, requestId!, undefined);
  }

  /** Records a request's answer, or its cancellation (no answer), and ends the exchange when none is left open. */
  private settle(exchange: Exchange, id: RequestId, answer: JSONRPCMessage | undefined): void {
    this.byRequest.delete(id);
    if (answer) exchange.answers.set(id, answer);
    else exchange.answers.delete(id);
    exchange.unanswered -= 1;
    if (exchange.unanswered === 0) exchange.done([...exchange.answers.values()] as JSONRPCMessage[]);
  }

  /**
   * The connection closed (session ended, server shutting down): the server will answer nothing more, so every
   * request still open gets the JSON-RPC error the SDK gives for that, rather than an HTTP request left hanging.
   */
  closeAll(): void {
    for (const id of [...this.byRequest.keys()]) {
      this.deliver(
        { jsonrpc: '2.0', id, error: { code: ErrorCode.ConnectionClosed, message: 'Connection closed' } },
        undefined,
      );
    }
  }
}
