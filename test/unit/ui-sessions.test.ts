import { describe, expect, it } from 'vitest';
import { AcceptedTokens } from '../../src/auth/accepted-tokens.js';
import { generateToken, tokenDigest } from '../../src/auth/token.js';
import { TokenRegistry } from '../../src/auth/token-registry.js';
import type { Clock } from '../../src/clock.js';
import { UiSessions } from '../../src/http/ui/sessions.js';

const LIMITS = { lifetimeMs: 12 * 3_600_000, idleMs: 3_600_000, maxSessions: 3 };

function setup() {
  let time = Date.parse('2026-01-01T00:00:00Z');
  const clock: Clock = { now: () => time, setTimer: () => () => {} };
  const shared = generateToken();
  const registry = new TokenRegistry(new AcceptedTokens({ value: shared }), clock);
  const sessions = new UiSessions({ authenticate: registry.authenticate, clock, limits: LIMITS });
  const advance = (ms: number): void => {
    time += ms;
  };
  return { sessions, registry, shared, advance };
}

describe('web view sessions', () => {
  it('finds a session by its secret, which is not the token and is not kept', () => {
    const { sessions, shared } = setup();
    const { secret, session } = sessions.create(shared, 'shared');
    expect(secret).not.toBe(shared);
    expect(JSON.stringify([...Object.values(session)])).not.toContain(secret);
    const found = sessions.find(secret);
    expect(found.ok && found.identity.name).toBe('shared');
    expect(sessions.find(`${secret}x`).ok).toBe(false);
  });

  it('ends a session at its lifetime even when used, and after an idle hour', () => {
    const { sessions, shared, advance } = setup();
    const busy = sessions.create(shared, 'shared');
    const idle = sessions.create(shared, 'shared');
    for (let halfHour = 0; halfHour < 23; halfHour++) {
      advance(1_800_000);
      expect(sessions.find(busy.secret).ok).toBe(true);
    }
    expect(sessions.find(idle.secret)).toEqual({ ok: false, reason: 'session expired' });
    advance(1_800_000);
    expect(sessions.find(busy.secret)).toEqual({ ok: false, reason: 'session expired' });
  });

  it('keeps a session with an open stream past the idle limit, but not past its lifetime', () => {
    const { sessions, shared, advance } = setup();
    const { secret, session } = sessions.create(shared, 'shared');
    let cut = false;
    session.streams.add(() => {
      cut = true;
    });
    advance(2 * 3_600_000);
    expect(sessions.find(secret).ok).toBe(true);
    advance(LIMITS.lifetimeMs);
    expect(sessions.find(secret).ok).toBe(false);
    expect(cut).toBe(true);
  });

  it('ends a session whose token is revoked or expires', () => {
    const { sessions, registry, advance } = setup();
    const named = generateToken();
    const record = {
      name: 'lead',
      sha256: tokenDigest(named).toString('hex'),
      hint: 'x',
      scopes: ['run' as const],
      created_at: '2026-01-01T00:00:00Z',
      expires_at: null,
      revoked_at: null,
      rate_per_minute: null,
    };
    registry.replaceNamed([record]);
    const { secret } = sessions.create(named, 'lead');
    expect(sessions.find(secret).ok).toBe(true);
    registry.replaceNamed([{ ...record, revoked_at: '2026-01-01T00:00:01Z' }]);
    advance(1);
    expect(sessions.find(secret)).toEqual({ ok: false, reason: 'token no longer accepted' });
    expect(sessions.size).toBe(0);
    registry.replaceNamed([{ ...record, expires_at: '2026-01-01T00:01:00Z' }]);
    const expiring = sessions.create(named, 'lead');
    expect(sessions.find(expiring.secret).ok).toBe(true);
    advance(60_000);
    expect(sessions.find(expiring.secret)).toEqual({ ok: false, reason: 'token no longer accepted' });
  });

  it('ends the oldest session when a login would pass the cap', () => {
    const { sessions, shared } = setup();
    const first = sessions.create(shared, 'shared');
    for (let i = 0; i < LIMITS.maxSessions; i++) sessions.create(shared, 'shared');
    expect(sessions.size).toBe(LIMITS.maxSessions);
    expect(sessions.find(first.secret).ok).toBe(false);
  });
});
