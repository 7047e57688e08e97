import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { missingEngine } from '../helpers/engines.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import {
  engineFleetOn as fleetOn,
  engineLeftovers,
  hostileAgentHeld,
  restartFollowed,
  startEngineFixture,
  type EngineKit,
  waitForLog,
  type EngineFixture,
  type EngineName,
} from './engine-fleet.js';
import { startFleetServer, type FleetSandbox, type FleetServer } from './fleet-server.js';

afterAll(() => {
  killServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

const ENGINES: { name: EngineName; binaries: string[] }[] = [
  { name: 'docker', binaries: ['dockerd', 'docker', 'containerd', 'runc'] },
  { name: 'podman', binaries: ['podman', 'catatonit'] },
  { name: 'swarm', binaries: ['dockerd', 'docker', 'containerd', 'runc'] },
];

for (const engineCase of ENGINES) {
  const missing = missingEngine(engineCase.binaries);
  test.runIf(missing !== null && process.env.CI === 'true')(`${engineCase.name} is installed`, () => {
    throw new Error(missing!);
  });

  describe.skipIf(missing !== null)(`agents on ${engineCase.name}, through the server`, () => {
    let fixture: EngineFixture;
    let fake: string;
    beforeAll(async () => {
      fixture = await startEngineFixture(engineCase.name);
      fake = fixture.fake;
    }, 120_000);
    afterAll(async () => {
      await fixture?.stop();
    }, 60_000);

    const leftovers = (agent: string): Promise<string[]> => engineLeftovers(fixture, agent);
    const engineFleet = (
      roleExtra: Record<string, unknown> = {},
      backendExtra: Record<string, unknown> = {},
    ): FleetSandbox => fleetOn(fixture, roleExtra, backendExtra);

    const providerKey = rememberSecret(`sk-test-${Math.random().toString(36).slice(2)}`);
    const start = (fleet: FleetSandbox, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<FleetServer> =>
      startFleetServer(fleet, { FLEET_TEST_PROVIDER_KEY: providerKey, ...env }, { args });
    const kit: EngineKit = { fleet: () => engineFleet(), start, leftovers, fake: () => fake };

    it('runs a task in a container whose work comes back only as its branch: changes, merge, delete, nothing left', async () => {
      const fleet = engineFleet();
      const server = await start(fleet);
      await server.ok('create_agent', { name: 'ada', project: 'repo', role: 'boxed', task: 'write:ada' });
      const waited = await server.ok('wait_for_agent', { name: 'ada', timeout_seconds: 120 });
      expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
      const log = await server.ok('show_agent_log', { name: 'ada' });
      expect(JSON.stringify(log)).toContain('wrote ada.txt');
      const changes = await server.ok('show_agent_changes', { name: 'ada' });
      expect(JSON.stringify(changes)).toContain('ada.txt');
      await server.ok('merge_agent', { name: 'ada' });
      expect(execFileSync('git', ['-C', fleet.repo, 'show', 'main:ada.txt'], { encoding: 'utf8' })).toBe(
        'work of ada\n',
      );
      await server.ok('delete_agent', { name: 'ada' });
      expect(existsSync(join(fleet.dataDir, 'worktrees', 'ada'))).toBe(false);
      expect(await leftovers('ada')).toEqual([]);
      await server.server.stop();
    }, 240_000);

    it(
      "refuses a hostile agent every ref but its own: main and another agent's branch stay as they were",
      () => hostileAgentHeld(kit),
      240_000,
    );

    it('cancels a running task: its container and everything of it go', async () => {
      const fleet = engineFleet();
      const server = await start(fleet);
      await server.ok('create_agent', { name: 'sleeper', project: 'repo', role: 'boxed', task: 'sleep' });
      await waitForLog(server, 'sleeper', 'sleeping');
      await server.ok('cancel_agent_task', { name: 'sleeper' });
      const waited = await server.ok('wait_for_agent', { name: 'sleeper', timeout_seconds: 120 });
      expect(waited.agent.last_task).toMatchObject({ status: 'canceled' });
      expect(await leftovers('sleeper')).toEqual([]);
      await server.server.stop();
    }, 240_000);

    it.runIf(engineCase.name === 'docker')(
      'ends a task over its memory limit with a line that names the limit',
      async () => {
        const fleet = engineFleet({ limits: { memory: '64m' } });
        const server = await start(fleet);
        await server.ok('create_agent', { name: 'hog', project: 'repo', role: 'boxed', task: 'hog' });
        const waited = await server.ok('wait_for_agent', { name: 'hog', timeout_seconds: 120 });
        expect(waited.agent.last_task).toMatchObject({ status: 'failed' });
        expect(JSON.stringify(await server.ok('show_agent_log', { name: 'hog' }))).toContain(
          'went over its memory limit of 64 MiB',
        );
        expect(await leftovers('hog')).toEqual([]);
        await server.server.stop();
      },
      240_000,
    );

    it.runIf(engineCase.name === 'docker')(
      'follows a task again after a restart, and takes its push',
      () => restartFollowed(kit),
      240_000,
    );

    it.runIf(engineCase.name === 'docker')(
      'refuses in one line, leaving no agent, branch or container: an unreachable engine, a missing secret, an image without the CLI',
      async () => {
        const unreachable = engineFleet({}, { host: 'unix:///var/tmp/fleet-no-engine.sock' });
        const server = await start(unreachable);
        const refused = await server.fails('create_agent', {
          name: 'nowhere',
          project: 'repo',
          role: 'boxed',
          task: 'write:x',
        });
        expect(refused).toContain('/var/tmp/fleet-no-engine.sock');
        expect(refused).toContain('no agent was created');
        expect(() =>
          execFileSync(
            'git',
            ['-C', unreachable.repo, 'rev-parse', '--verify', '--quiet', 'refs/heads/fleet/nowhere'],
            { stdio: 'pipe' },
          ),
        ).toThrow();
        await server.server.stop();

        const secretless = engineFleet({ secrets: ['FLEET_TEST_MISSING_KEY'] });
        const second = await start(secretless);
        expect(
          await second.fails('create_agent', { name: 'keyless', project: 'repo', role: 'boxed', task: 'write:x' }),
        ).toContain(
          'secret FLEET_TEST_MISSING_KEY of backend "box" / role "boxed" is not set in the server\'s environment',
        );
        await second.server.stop();

        const cliless = engineFleet({ command: ['no-such-agent-cli', '{task}'] });
        const third = await start(cliless);
        await third.ok('create_agent', { name: 'cliless', project: 'repo', role: 'boxed', task: 'write:x' });
        const waited = await third.ok('wait_for_agent', { name: 'cliless', timeout_seconds: 120 });
        expect(waited.agent.last_task).toMatchObject({ status: 'failed' });
        expect(JSON.stringify(await third.ok('show_agent_log', { name: 'cliless' }))).toContain('the image has no');
        expect(await leftovers('cliless')).toEqual([]);
        await third.server.stop();
      },
      240_000,
    );
  });
}
