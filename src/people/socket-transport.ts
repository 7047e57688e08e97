import type { Socket } from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { MessageLines } from '../attach/message-lines.js';

/** MCP over a fleet socket whose hello was answered: one JSON-RPC message per line, both ways, as over stdio. */
export class SocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly socket: Socket) {}

  async start(): Promise<void> {
    const lines = new MessageLines();
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of lines.push(chunk)) this.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(line)));
      } catch (error) {
        this.onerror?.(error as Error);
        this.socket.destroy();
      }
    });
    this.socket.on('error', (error) => this.onerror?.(error));
    this.socket.once('close', () => this.onclose?.());
    this.socket.resume();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    this.socket.end();
  }
}
