import type { IncomingMessage } from 'node:http';
import { EngineApiError, type EngineClient } from './engine-client.js';
import { MultiplexedStreamReader } from './multiplexed-stream.js';

export type OnChunk = (stream: 'stdout' | 'stderr', data: Buffer) => void;

/**
 * Reads a multiplexed logs answer from the start (the engine keeps the whole log), demultiplexed, until the engine
 * ends it (a followed container's logs end when it exits) or `close` is called.
 */
export function followLogs(
  client: EngineClient,
  path: string,
  follow: boolean,
  onChunk: OnChunk,
): { done: Promise<void>; close(): void } {
  let response: IncomingMessage | null = null;
  let closed = false;
  const done = (async () => {
    try {
      response = await client.stream('GET', path, { query: { follow: follow ? 1 : 0, stdout: 1, stderr: 1 } });
    } catch (error) {
      // Removed (404) or being removed (409): there is nothing more to read.
      if (error instanceof EngineApiError && (error.status === 404 || error.status === 409)) return;
      throw error;
    }
    if (closed) {
      response.destroy();
      return;
    }
    const reader = new MultiplexedStreamReader(onChunk);
    await new Promise<void>((resolve) => {
      response!.on('data', (chunk: Buffer) => reader.push(chunk));
      response!.on('end', resolve);
      response!.on('close', resolve);
      response!.on('error', () => resolve());
    });
  })();
  return {
    done,
    close() {
      closed = true;
      response?.destroy();
    },
  };
}
