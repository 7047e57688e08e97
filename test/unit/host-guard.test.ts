import { describe, expect, it } from 'vitest';
import { defaultAllowedHosts } from '../../src/http/host-guard.js';
import { isLoopbackHost } from '../../src/http/loopback.js';

describe('allowed hosts', () => {
  it('are the loopback names, the bound host and the extra ones, lower-case, IPv6 bracketed', () => {
    expect([...defaultAllowedHosts('192.168.1.5', ['Fleet.Example', '::2'])].sort()).toEqual(
      ['127.0.0.1', '192.168.1.5', '[::1]', '[::2]', 'fleet.example', 'localhost'].sort(),
    );
  });

  it('include the machine addresses when bound to every interface', () => {
    expect(defaultAllowedHosts('0.0.0.0', []).has('127.0.0.1')).toBe(true);
    expect(defaultAllowedHosts('0.0.0.0', []).size).toBeGreaterThan(3);
  });
});

describe('isLoopbackHost', () => {
  it.each([['127.0.0.1', true], ['127.8.9.10', true], ['localhost', true], ['::1', true], ['[::1]', true],
    ['0.0.0.0', false], ['::', false], ['192.168.1.2', false], ['example.com', false], ['127.example.com', false]])(
    '%s → %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected),
  );
});
