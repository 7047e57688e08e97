import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { freePort, missingEngine } from '../helpers/engines.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import {
  addRoles,
  changeRunLimits,
  engineFleetOn,
  engineLeftovers,
  hostileAgentHeld,
  restartFollowed,
  startEngineFixture,
  type EngineKit,
  until,
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

/**
 * Docker's extra cases run on the same server as its others, each on a role of its own: a memory limit, a secret the
 * server lacks, a command the image has not, and a backend whose engine does not answer.
 */
const DOCKER_ROLES = {
  hog: { limits: { memory: '64m' } },
  keyless: { secrets: ['FLEET_TEST_MISSING_KEY'] },
  cliless: { command: ['no-such-agent-cli', '{task}'] },
  nowhere: { backend: 'nowhere' },
};
const DOCKER_BACKENDS = { nowhere: { host: 'unix:///var/tmp/fleet-no-engine.sock' } };

for (const engineCase of ENGINES) {
  const missing = missingEngine(engineCase.binaries);
  test.runIf(missing !== null && process.env.CI === 'true')(`${engineCase.name} is installed`, () => {
    throw new Error(missing!);
  });

  // One server per engine for the agents that need no server of their own; each agent has a name of its own.
  describe.skipIf(missing !== null)(`agents on ${engineCase.name}, through the server`, () => {
    let fixture: EngineFixture;
    let fleet: FleetSandbox;
    let server: FleetServer;
    const providerKey = rememberSecret(`sk-test-${Math.random().toString(36).slice(2)}`);
    const start = (sandbox: FleetSandbox, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<FleetServer> =>
      startFleetServer(sandbox, { FLEET_TEST_PROVIDER_KEY: providerKey, ...env }, { args });
    const leftovers = (agent: string): Promise<string[]> => engineLeftovers(fixture, agent);

    beforeAll(async () => {
      fixture = await startEngineFixture(engineCase.name);
      fleet = engineFleetOn(fixture);
      if (engineCase.name === 'docker') addRoles(fleet, DOCKER_ROLES, DOCKER_BACKENDS);
      server = await start(fleet);
    }, 120_000);
    afterAll(async () => {
      await server?.server.stop();
      await fixture?.stop();
    });

    it('runs a task in a container whose work comes back only as its branch: changes, merge, delete, nothing left', async () => {
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
    }, 240_000);

    it('cancels a running task: its container and everything of it go', async () => {
      await server.ok('create_agent', { name: 'sleeper', project: 'repo', role: 'boxed', task: 'sleep' });
      await waitForLog(server, 'sleeper', 'sleeping');
      await server.ok('cancel_agent_task', { name: 'sleeper' });
      const waited = await server.ok('wait_for_agent', { name: 'sleeper', timeout_seconds: 120 });
      expect(waited.agent.last_task).toMatchObject({ status: 'canceled' });
      expect(await leftovers('sleeper')).toEqual([]);
    }, 240_000);

    // The refs a push may change are judged by the server's git endpoint, the same for every engine. Swarm hands the
    // task's secrets over as files the agent can read, so there the attack pushes with the task's own credential and
    // only the ref check can refuse it; on Docker and Podman the agent never holds the credential.
    it.runIf(engineCase.name === 'swarm')(
      "refuses a hostile agent every ref but its own, even with the task's credential: main and another agent's branch stay as they were",
      async () => {
        const log = await hostileAgentHeld({ fleet, server, leftovers });
        expect(log).toContain("attacking with the task's git credential");
      },
      240_000,
    );

    it.runIf(engineCase.name === 'docker')(
      'ends a task over its memory limit with a line that names the limit',
      async () => {
        await server.ok('create_agent', { name: 'hog', project: 'repo', role: 'hog', task: 'hog' });
        const waited = await server.ok('wait_for_agent', { name: 'hog', timeout_seconds: 120 });
        expect(waited.agent.last_task).toMatchObject({ status: 'failed' });
        // The server's own line, in the log as such: the run files hold only the engine's bytes, which a restarted
        // server counts to know where to go on.
        const log = (await server.ok('show_agent_log', { name: 'hog' })) as {
          lines: { stream: string; text: string }[];
        };
        expect(log.lines.filter((line) => line.text.includes('went over its memory limit of 64 MiB'))).toEqual([
          expect.objectContaining({ stream: 'system' }),
        ]);
        expect(await leftovers('hog')).toEqual([]);
      },
      240_000,
    );

    it.runIf(engineCase.name === 'docker')(
      'refuses in one line, leaving no agent, branch or container: an unreachable engine, a missing secret, an image without the CLI',
      async () => {
        const refused = await server.fails('create_agent', {
          name: 'nowhere',
          project: 'repo',
          role: 'nowhere',
          task: 'write:x',
        });
        expect(refused).toContain('/var/tmp/fleet-no-engine.sock');
        expect(refused).toContain('no agent was created');
        expect(() =>
          execFileSync('git', ['-C', fleet.repo, 'rev-parse', '--verify', '--quiet', 'refs/heads/fleet/nowhere'], {
            stdio: 'pipe',
          }),
        ).toThrow();

        expect(
          await server.fails('create_agent', { name: 'keyless', project: 'repo', role: 'keyless', task: 'write:x' }),
        ).toContain(
          'secret FLEET_TEST_MISSING_KEY of backend "box" / role "keyless" is not set in the server\'s environment',
        );

        await server.ok('create_agent', { name: 'cliless', project: 'repo', role: 'cliless', task: 'write:x' });
        const waited = await server.ok('wait_for_agent', { name: 'cliless', timeout_seconds: 120 });
        expect(waited.agent.last_task).toMatchObject({ status: 'failed' });
        expect(JSON.stringify(await server.ok('show_agent_log', { name: 'cliless' }))).toContain('the image has no');
        expect(await leftovers('cliless')).toEqual([]);
      },
      240_000,
    );

    // The previous server's run files are older than the idle timeout, and the engine does not answer at first: the
    // task's silence counts once its output is back, not from the last write of those files.
    it.runIf(engineCase.name === 'docker')(
      'judges a task followed again by its idle timeout only once the engine has given its output back',
      async () => {
        const own = engineFleetOn(fixture);
        const port = String(await freePort());
        const first = await start(own, {}, ['--port', port]);
        await first.ok('create_agent', { name: 'dozer', project: 'repo', role: 'boxed', task: 'wait-for:go-dozer' });
        await waitForLog(first, 'dozer', 'waiting');
        const runDir = join(own.dataDir, 'logs', 'dozer');
        const stdout = join(runDir, readdirSync(runDir).find((name) => name.endsWith('.run'))!, 'stdout');
        await first.server.stop('SIGKILL');
        // Set while no server runs, so no server could stop the task before the kill, however slow the machine.
        changeRunLimits(own, 'dozer', { idle_timeout: '5s', idle_timeout_ms: 5000 });
        await until(
          () => Date.now() - statSync(stdout).mtimeMs > 6000,
          'the run files to be older than the idle timeout',
        );
        process.kill(fixture.engine.pid, 'SIGSTOP');
        let second: FleetServer;
        try {
          second = await start(own, {}, ['--port', port]);
          await waitForLog(second, 'dozer', 'followed again by a restarted server');
          // Polls of the task (every 200 ms) while its engine answers nothing.
          const frozenSince = Date.now();
          await until(() => Date.now() - frozenSince > 2000, 'a few polls');
        } finally {
          process.kill(fixture.engine.pid, 'SIGCONT');
        }
        writeFileSync(join(fixture.fake, 'go-dozer'), '');
        const waited = await second.ok('wait_for_agent', { name: 'dozer', timeout_seconds: 120 });
        expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
        await second.server.stop();
      },
      240_000,
    );

    // A server and data dir of its own: the restarts are the subject. Each engine gives the output again from its
    // start, Podman's with its own quirks (see DockerTask.output): every line must still reach the log once.
    it('follows a task again after a stop and after a kill -9 of the server, every line once, and takes its push', () => {
      const kit: EngineKit = { fleet: () => engineFleetOn(fixture), start, leftovers, fake: () => fixture.fake };
      return restartFollowed(kit);
    }, 240_000);
  });
}
