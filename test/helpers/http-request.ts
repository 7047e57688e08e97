import { request } from 'node:http';

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** The loopback address to send from; the server throttles failed authentication per client address. */
  localAddress?: string;
}

let addressCount = 0;

/** A loopback address not used before by this test file, so each check starts with a clean throttle record. */
export function freshClientAddress(): string {
  addressCount += 1;
  return `127.1.${Math.floor(addressCount / 250) % 250}.${(addressCount % 250) + 1}`;
}

/** node:http rather than fetch: it can pick the client address and send any latin1 header byte. */
export function send(url: string, options: SendOptions = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        localAddress: options.localAddress ?? freshClientAddress(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
          }
          resolve(
            new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode, headers }),
          );
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
