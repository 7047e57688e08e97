import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Project } from '../../src/fleet/projects.js';
import { sandboxReachProblem } from '../../src/commands/sandbox-reach-guard.js';
import { resolveRoles, type RolesConfig } from '../../src/fleet/roles.js';

const off = { authEnabled: false, host: '127.0.0.1', port: 8787 };
const on = { authEnabled: true, host: '127.0.0.1', port: 8787 };
const PRESETS = ['claude', 'codex', 'gemini', 'opencode'];
const offline: RolesConfig = Object.fromEntries(PRESETS.map((name) => [name, { sandbox: { network: false } }]));
// The presets are offered where their CLIs are on PATH.
const bin = mkdtempSync(join(tmpdir(), 'fleet-reach-'));
for (const name of PRESETS) writeFileSync(join(bin, name), '#!/bin/sh\n', { mode: 0o755 });
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function problem(
  server: typeof off,
  roles: RolesConfig | undefined,
  projects: Pick<Project, 'name' | 'path' | 'sandbox'>[] = [],
) {
  const listed = projects.map((project) => ({ ...project, description: '' }));
  return sandboxReachProblem(server, { roles: resolveRoles(roles, { pathEnv: bin }), projects: listed });
}

describe('sandboxReachProblem', () => {
  it("names the role that lists the server's own port while auth is off, and what to change", () => {
    const roles = {
      web: { command: ['x', '{task}'], sandbox: { ports: [3000] } },
      db: { command: ['x', '{task}'], sandbox: { ports: [5432, 8787] } },
    };
    expect(problem(off, roles)).toBe(
      'without auth, role "db" must not list port 8787, this server\'s own, in sandbox.ports: its agents could call /mcp and start agents outside the sandbox. ' +
        'Take 8787 out of its ports, serve on another port, or enable auth (FLEET_MCP_AUTH_ENABLED=true)',
    );
  });

  it('lets it be with auth on, with other ports, and on port 0, which no role can name', () => {
    const roles = { db: { command: ['x', '{task}'], sandbox: { ports: [8787] } } };
    expect(problem(on, roles)).toBeNull();
    expect(
      problem(off, {
        db: { command: ['x', '{task}'], sandbox: { ports: [5432] } },
        open: { command: ['x', '{task}'], sandbox: true },
      }),
    ).toBeNull();
    expect(problem({ ...off, port: 0 }, { db: { command: ['x', '{task}'], sandbox: { ports: [1] } } })).toBeNull();
    expect(problem(off, undefined)).toBeNull();
  });

  it('refuses a non-loopback address without auth while a sandboxed role has a network, naming the roles', () => {
    const open = { ...off, host: '0.0.0.0' };
    expect(problem(open, undefined)).toBe(
      'without auth on 0.0.0.0, the sandboxed agents of roles "claude", "codex", "gemini", "opencode" could reach this ' +
        "server through the host's own addresses and start agents outside the sandbox. Enable auth " +
        '(FLEET_MCP_AUTH_ENABLED=true), bind to 127.0.0.1, or give each of those roles "sandbox": {"network": false} in the fleet config',
    );
    expect(problem(open, { ...offline, web: { command: ['x', '{task}'], sandbox: true } })).toMatch(
      /^without auth on 0\.0\.0\.0, the sandboxed agents of roles "web" could reach/,
    );
    // An unsandboxed custom role is sandboxed by a project that asks for it.
    const custom = { ...offline, plain: { command: ['x', '{task}'] } };
    expect(problem(open, custom)).toBeNull();
    expect(problem(open, custom, [{ name: 'p', path: '/srv/p', sandbox: true }])).toMatch(/roles "plain" could reach/);
  });

  it('lets a non-loopback address be when no sandboxed role has a network, or auth is on', () => {
    expect(problem({ ...off, host: '0.0.0.0' }, offline)).toBeNull();
    expect(problem({ ...on, host: '0.0.0.0' }, undefined)).toBeNull();
    expect(problem({ ...off, host: 'localhost' }, undefined)).toBeNull();
  });
});
