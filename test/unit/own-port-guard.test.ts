import { describe, expect, it } from 'vitest';
import { ownPortProblem } from '../../src/commands/own-port-guard.js';

const off = { authEnabled: false, port: 8787 };
const on = { authEnabled: true, port: 8787 };

describe('ownPortProblem', () => {
  it("names the role that lists the server's own port while auth is off, and what to change", () => {
    const roles = {
      web: { command: ['x', '{task}'], sandbox: { ports: [3000] } },
      db: { command: ['x', '{task}'], sandbox: { ports: [5432, 8787] } },
    };
    expect(ownPortProblem(off, roles)).toBe(
      'without auth, role "db" must not list port 8787, this server\'s own, in sandbox.ports: its agents could call /mcp and start agents outside the sandbox. ' +
        'Take 8787 out of its ports, serve on another port, or enable auth (FLEET_MCP_AUTH_ENABLED=true)',
    );
  });

  it('lets it be with auth on, with other ports, and on port 0, which no role can name', () => {
    const roles = { db: { command: ['x', '{task}'], sandbox: { ports: [8787] } } };
    expect(ownPortProblem(on, roles)).toBeNull();
    expect(
      ownPortProblem(off, {
        db: { command: ['x', '{task}'], sandbox: { ports: [5432] } },
        open: { command: ['x', '{task}'], sandbox: true },
      }),
    ).toBeNull();
    expect(
      ownPortProblem({ ...off, port: 0 }, { db: { command: ['x', '{task}'], sandbox: { ports: [1] } } }),
    ).toBeNull();
    expect(ownPortProblem(off, undefined)).toBeNull();
  });
});
