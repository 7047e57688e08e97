import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ListenOptions {
  app: Hono<any>;
  host: string;
  port: number;
}

/**
 * A client that stalls is cut off: headers must arrive within 10 s and the whole request within 30 s. These
 * bound receiving the request only, so long tool calls still have all the time they need to answer.
 */
const SERVER_OPTIONS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 };

export interface RunningServer {
  address: AddressInfo;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then drops what is left. */
  close: (graceMs: number) => Promise<void>;
}

/** How often idle keep-alive connections are closed while shutting down. */
const IDLE_SWEEP_MS = 50;

function closeServer(server: ServerType, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, graceMs);
    // A connection whose request finishes during shutdown turns idle and would otherwise wait out the
    // keep-alive timeout; sweeping idle connections lets the process exit as soon as the last answer is sent.
    const sweep = setInterval(() => {
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    timer.unref();
    sweep.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve();
    });
  });
}

export async function listen(options: ListenOptions): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: options.app.fetch, serverOptions: SERVER_OPTIONS });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { address: server.address() as AddressInfo, close: (graceMs) => closeServer(server, graceMs) };
}
