import { describe, expect, it } from 'vitest';
import { agentKey, assertValidAgentName } from '../../src/fleet/agents/names.js';

describe('agent names', () => {
  it.each(['a', 'Agent-7', 'x'.repeat(32), '0day', 'new-agent', 'creates'])('accepts %j', (name) => {
    expect(() => assertValidAgentName(name)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['x'.repeat(33), /33 characters/],
    ['-lead', /starts with "-"/],
    ['under_score', /character other than/],
    ['with space', /character other than/],
    ['dot.name', /character other than/],
    ['ünï', /character other than/],
    ['new', /reserved/],
    ['CREATE', /reserved/],
  ])('rejects %j and states the rule', (name, why) => {
    expect(() => assertValidAgentName(name)).toThrow(why);
    expect(() => assertValidAgentName(name)).toThrow(/Rule: 1-32 characters/);
  });

  it('treats names that differ only in case as one agent', () => {
    expect(agentKey('Builder-A')).toBe(agentKey('builder-a'));
  });
});
