import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the receiver got it, and whether its signature checked out against the secret. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `count` requests have come. */
  waitFor(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

// What a receiver should accept: a timestamp this recent, so a recorded delivery cannot be replayed later.
const MAX_AGE_S = 300;

/**
 * What a webhook receiver is told to do: recompute HMAC-SHA256 over `${timestamp}.${raw body}` with the shared
 * secret, compare in constant time, and refuse an old timestamp.
 */
export function verifySignature(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
  nowS = Date.now() / 1000,
): boolean {
  const timestamp = Number(headers['x-fleet-timestamp']);
  const given = Buffer.from(String(headers['x-fleet-signature'] ?? ''));
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${headers['x-fleet-timestamp']}.${body}`).digest('hex')}`,
  );
  return (
    Number.isInteger(timestamp) &&
    Math.abs(nowS - timestamp) <= MAX_AGE_S &&
    given.length === expected.length &&
    timingSafeEqual(given, expected)
  );
}

/** An HTTP receiver on loopback that answers each request with `status(n)` (n counts from 1). */
export async function startReceiver(secret: string, status: (n: number) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body, signatureValid: verifySignature(secret, request.headers, body) });
      response.writeHead(status(received.length)).end();
      for (const waiter of waiters.filter((candidate) => received.length >= candidate.count)) waiter.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor: (count) =>
      received.length >= count
        ? Promise.resolve(received)
        : new Promise((resolve) => waiters.push({ count, resolve: () => resolve(received) })),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
