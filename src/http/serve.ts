import type { AddressInfo } from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ListenOptions {
  app: Hono<any>;
  host: string;
  port: number;
}

export interface RunningServer {
  address: AddressInfo;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then drops what is left. */
  close: (graceMs: number) => Promise<void>;
}

function closeServer(server: ServerType, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

export async function listen(options: ListenOptions): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: options.app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { address: server.address() as AddressInfo, close: (graceMs) => closeServer(server, graceMs) };
}
