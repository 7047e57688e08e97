import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backendsConfigSchema } from '../../src/fleet/backends/backends-config.js';
import {
  engineProblem,
  type EngineSettings,
  type NamedBackend,
} from '../../src/fleet/backends/remote/engine-launch.js';
import { GitCredentials } from '../../src/fleet/backends/remote/git-credentials.js';
import type { Role } from '../../src/fleet/types.js';

const role = { name: 'boxed', secrets: [] } as unknown as Role;

function settings(
  backend: Record<string, unknown>,
  authEnabled = true,
): { settings: EngineSettings; backend: NamedBackend } {
  const backends = backendsConfigSchema.parse({ box: { engine: 'docker', image: 'agents:1', ...backend } });
  return {
    settings: {
      backends,
      localUrl: () => 'http://127.0.0.1:8000',
      authEnabled,
      credentials: new GitCredentials(randomBytes(32)),
      serverId: 'test',
      runtime: () => Promise.reject(new Error('no engine in this test')),
    },
    backend: { ...backends.box!, name: 'box' },
  };
}

describe('whether an engine backend can run a role, before anything is made', () => {
  it('is so on the host network with auth on, and names nothing', () => {
    const { settings: engines, backend } = settings({});
    expect(engineProblem(engines, backend, role, {})).toBeNull();
  });

  it('refuses a secret missing from the server environment, naming it and the fix', () => {
    const { settings: engines, backend } = settings({ secrets: ['PROVIDER_KEY'] });
    expect(engineProblem(engines, backend, role, {})).toContain(
      'secret PROVIDER_KEY of backend "box" / role "boxed" is not set',
    );
    expect(engineProblem(engines, backend, role, { PROVIDER_KEY: 'x' })).toBeNull();
  });

  it('refuses network "none", which reaches no git endpoint, even with a git_url', () => {
    const { settings: engines, backend } = settings({ network: 'none', git_url: 'http://fleet.example:8000' });
    expect(engineProblem(engines, backend, role, {})).toContain('network "none", where they reach no git endpoint');
  });

  it('refuses a network of its own without a git_url, and takes one with it', () => {
    expect(
      engineProblem(settings({ network: 'agents' }).settings, settings({ network: 'agents' }).backend, role, {}),
    ).toContain('set its "git_url"');
    const withUrl = settings({ network: 'agents', git_url: 'http://fleet.example:8000' });
    expect(engineProblem(withUrl.settings, withUrl.backend, role, {})).toBeNull();
  });

  it('refuses the host network while auth is off: its agents would reach /mcp', () => {
    const { settings: engines, backend } = settings({}, false);
    expect(engineProblem(engines, backend, role, {})).toContain('auth is off');
  });
});
