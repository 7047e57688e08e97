import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import type { NamedTokenRecord } from '../../src/auth/named-token-store.js';
import { generateToken } from '../../src/auth/token.js';
import { TokenRegistry } from '../../src/auth/token-registry.js';

/** A record as `fleet-mcp token create` stores it: the SHA-256 of the whole token, in hex. */
function record(name: string, value: string): NamedTokenRecord {
  return {
    name,
    sha256: createHash('sha256').update(value).digest('hex'),
    hint: value.slice(-4),
    scopes: ['read'],
    created_at: new Date().toISOString(),
    expires_at: null,
    revoked_at: null,
    rate_per_minute: null,
  };
}

describe('named tokens in the registry', () => {
  it('match on the whole token: tokens that share a 32-character prefix are told apart, and a third with that prefix is refused', () => {
    const prefix = generateToken().slice(0, 32);
    const [first, second, stranger] = [`${prefix}AAAAAAAAAAA`, `${prefix}BBBBBBBBBBB`, `${prefix}CCCCCCCCCCC`];
    const registry = new TokenRegistry(new AcceptedTokens({ value: generateToken() }));
    registry.replaceNamed([record('first', first), record('second', second)]);
    const nameOf = (presented: string): string | undefined => {
      const result = registry.authenticate(presented);
      return result.ok ? result.identity.name : undefined;
    };
    expect(nameOf(first)).toBe('first');
    expect(nameOf(second)).toBe('second');
    expect(nameOf(stranger)).toBeUndefined();
    expect(nameOf(prefix)).toBeUndefined();
  });
});
