import { hostname, networkInterfaces } from 'node:os';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { defaultAllowedHosts, hostGuard } from '../../src/http/host-guard.js';
import { isLoopbackHost } from '../../src/http/loopback.js';

describe('allowed hosts', () => {
  it('are the loopback names, the bound host and the extra ones, lower-case, IPv6 bracketed', () => {
    expect([...defaultAllowedHosts('192.168.1.5', ['Fleet.Example', '::2'])].sort()).toEqual(
      ['127.0.0.1', '192.168.1.5', '[::1]', '[::2]', 'fleet.example', 'localhost'].sort(),
    );
  });

  it('include the machine name and every interface address when bound to every interface, not the wildcard', () => {
    const machine = [
      hostname(),
      ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address)),
    ];
    for (const bound of ['0.0.0.0', '::']) {
      const hosts = defaultAllowedHosts(bound, []);
      for (const name of machine) {
        const expected = name.includes(':') ? `[${name.toLowerCase()}]` : name.toLowerCase();
        expect(hosts.has(expected), `${bound} → ${expected}`).toBe(true);
      }
      expect(hosts.has(bound)).toBe(false);
      expect(hosts.has(`[${bound}]`)).toBe(false);
    }
    expect(defaultAllowedHosts('192.168.1.5', []).has(hostname().toLowerCase())).toBe(
      hostname().toLowerCase() === 'localhost',
    );
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.2', false],
    ['example.com', false],
    ['127.example.com', false],
  ])('%s → %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});

describe('the request target', () => {
  const app = new Hono();
  app.use('*', hostGuard({ allowedHosts: defaultAllowedHosts('127.0.0.1', []), allowedOrigins: new Set() }));
  app.get('*', (c) => c.text('served'));
  /** The URL as the Node adapter builds it from the request line; a WHATWG Request refuses some of these. */
  const status = async (url: string, host: string) => {
    const request = new Request('http://127.0.0.1/', { headers: { host } });
    Object.defineProperty(request, 'url', { value: url });
    return (await app.fetch(request)).status;
  };

  it('is served when it names the Host header itself', async () => {
    expect(await status('http://127.0.0.1:3000/mcp', '127.0.0.1:3000')).toBe(200);
    expect(await status('http://localhost/', 'localhost')).toBe(200);
  });

  // The guard skips parsing the target when it starts with the allowed Host: only when the host ends right there.
  it.each([
    ['http://127.0.0.1.evil.example.com/mcp', '127.0.0.1'],
    ['http://localhost@evil.example.com/mcp', 'localhost'],
    ['http://localhost:80@evil.example.com/mcp', 'localhost:80'],
    ['http://evil.example.com/localhost/', 'localhost'],
  ])('is refused when it names another host behind the Host header: %s', async (url, host) => {
    expect(await status(url, host)).toBe(403);
  });
});
