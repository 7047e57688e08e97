import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

export interface FollowCutProxy {
  /** As DOCKER_HOST has it. */
  host: string;
  /** How many followed log answers were cut. */
  cuts(): number;
  close(): Promise<void>;
}

/**
 * A unix-socket proxy in front of an engine's socket that ends the first `limit` followed log answers after their
 * first chunk, as Podman 4.3 at times does when the container exits near the follow (podman#21914); everything else
 * passes whole, the attach's upgraded stream too.
 */
export async function startFollowCutProxy(engineSocket: string, dir: string, limit: number): Promise<FollowCutProxy> {
  let cuts = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://engine');
    const cut =
      cuts < limit && /\/containers\/[^/]+\/logs$/.test(url.pathname) && url.searchParams.get('follow') === '1';
    const upstream = request(
      { socketPath: engineSocket, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cut) {
          answer.pipe(outgoing);
          return;
        }
        answer.once('data', (chunk: Buffer) => {
          cuts += 1;
          outgoing.end(chunk);
          answer.destroy();
        });
        answer.once('end', () => outgoing.end());
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  server.on('upgrade', (incoming, client, head) => {
    const engine = connect(engineSocket, () => {
      const lines = [`${incoming.method} ${incoming.url} HTTP/1.1`];
      for (let i = 0; i < incoming.rawHeaders.length; i += 2)
        lines.push(`${incoming.rawHeaders[i]}: ${incoming.rawHeaders[i + 1]}`);
      engine.write(`${lines.join('\r\n')}\r\n\r\n`);
      engine.write(head);
      engine.pipe(client);
      client.pipe(engine);
    });
    engine.on('error', () => client.destroy());
    client.on('error', () => engine.destroy());
  });
  const socket = join(dir, 'follow-cut.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    cuts: () => cuts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
