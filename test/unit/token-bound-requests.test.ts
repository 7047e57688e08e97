import { describe, expect, it } from 'vitest';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import type { NamedTokenRecord } from '../../src/auth/named-token-store.js';
import { generateToken, tokenDigest } from '../../src/auth/token.js';
import { TokenRegistry } from '../../src/auth/token-registry.js';
import { systemClock } from '../../src/clock.js';
import { TokenBoundRequests } from '../../src/http/token-bound-requests.js';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../helpers/manual-clock.js';

function record(name: string, value: string, fields: Partial<NamedTokenRecord> = {}): NamedTokenRecord {
  return {
    name,
    sha256: tokenDigest(value).toString('hex'),
    hint: value.slice(-4),
    scopes: ['read'],
    created_at: '2026-01-01T00:00:00.000Z',
    expires_at: null,
    revoked_at: null,
    rate_per_minute: null,
    ...fields,
  };
}

function setup(): {
  clock: ManualClock;
  shared: AcceptedTokens;
  sharedValue: string;
  registry: TokenRegistry;
  requests: TokenBoundRequests;
  cut: string[];
} {
  const clock = new ManualClock();
  const sharedValue = generateToken();
  const shared = new AcceptedTokens({ value: sharedValue });
  const registry = new TokenRegistry(shared, clock);
  const requests = new TokenBoundRequests({
    authenticate: registry.authenticate,
    nextExpiry: () => registry.nextExpiry(),
    clock,
    logger: createLogger({ level: 'silent' }),
  });
  return { clock, shared, sharedValue, registry, requests, cut: [] };
}

describe('requests bound to their token', () => {
  it('cuts the requests of a named token at its expiry, not a moment before, and no other', () => {
    const { clock, sharedValue, registry, requests, cut } = setup();
    const brief = generateToken();
    registry.replaceNamed([record('brief', brief, { expires_at: new Date(clock.now() + 60_000).toISOString() })]);
    requests.recheck();
    requests.track(brief, 'brief', () => cut.push('brief stream'));
    requests.track(brief, 'brief', () => cut.push('brief call'));
    requests.track(sharedValue, 'shared', () => cut.push('shared stream'));

    clock.advance(59_999);
    expect(cut).toEqual([]);
    clock.advance(1);
    expect(cut).toEqual(['brief stream', 'brief call']);
    clock.advance(3_600_000);
    expect(cut).toEqual(['brief stream', 'brief call']);
  });

  it('cuts the requests of a token revoked on recheck, but not those that already ended', () => {
    const { registry, requests, cut } = setup();
    const laptop = generateToken();
    registry.replaceNamed([record('laptop', laptop)]);
    requests.track(laptop, 'laptop', () => cut.push('open'));
    const ended = requests.track(laptop, 'laptop', () => cut.push('ended'));
    ended();

    requests.recheck();
    expect(cut).toEqual([]);
    registry.replaceNamed([record('laptop', laptop, { revoked_at: '2026-01-01T00:00:01.000Z' })]);
    requests.recheck();
    expect(cut).toEqual(['open']);
  });

  it("keeps the old shared token's requests through a rotation's grace and cuts them when it ends", () => {
    const { clock, shared, sharedValue, requests, cut } = setup();
    requests.track(sharedValue, 'shared', () => cut.push('old'));
    const next = generateToken();
    requests.track(next, 'shared', () => cut.push('new'));
    shared.replace({
      value: next,
      previous: { value: sharedValue, expires_at: new Date(clock.now() + 5000).toISOString() },
    });
    requests.recheck();
    expect(cut).toEqual([]);
    clock.advance(5000);
    expect(cut).toEqual(['old']);
  });

  it('waits for an expiry further away than a timer holds, and cuts at it', () => {
    const { clock, registry, requests, cut } = setup();
    const yearly = generateToken();
    const year = 365 * 86_400_000;
    registry.replaceNamed([record('yearly', yearly, { expires_at: new Date(clock.now() + year).toISOString() })]);
    requests.recheck();
    requests.track(yearly, 'yearly', () => cut.push('yearly'));
    clock.advance(year - 1);
    expect(cut).toEqual([]);
    clock.advance(1);
    expect(cut).toEqual(['yearly']);
  });
});

describe('the system clock', () => {
  it('does not fire at once a timer set further away than Node can hold', async () => {
    const fired: string[] = [];
    const cancel = systemClock.setTimer(() => fired.push('far'), 365 * 86_400_000);
    // Node runs an overflowing timer after 1 ms: it would come before this one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    cancel();
    expect(fired).toEqual([]);
  });
});
