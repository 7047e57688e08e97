import type { Socket } from 'node:net';

/** The other end closed before sending its first line. */
export class EndedEarlyError extends Error {
  override name = 'EndedEarlyError';
}

export interface FirstLineOptions {
  maxBytes: number;
  /** How long the line may take; without it, as long as the socket stays open. */
  timeoutMs?: number;
}

/**
 * Reads the socket's first line, and leaves what followed it unread in the socket (paused), for whoever takes the
 * stream next. Rejects when the line is too long, late, or the socket ends first.
 */
export function readFirstLine(socket: Socket, options: FirstLineOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (outcome: () => void): void => {
      if (timer) clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', onError);
      outcome();
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(0x0a);
      if (end === -1) {
        if (buffered.length > options.maxBytes)
          finish(() => reject(new Error(`the first line is longer than ${options.maxBytes} bytes`)));
        return;
      }
      finish(() => {
        socket.pause();
        if (end + 1 < buffered.length) socket.unshift(buffered.subarray(end + 1));
        resolve(buffered.toString('utf8', 0, end));
      });
    };
    const onEnd = (): void => finish(() => reject(new EndedEarlyError('the connection closed before its first line')));
    const onError = (error: Error): void => finish(() => reject(new EndedEarlyError(error.message)));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finish(() => reject(new Error(`no first line within ${options.timeoutMs} ms`))),
            options.timeoutMs,
          );
    socket.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
