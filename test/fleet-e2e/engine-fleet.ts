import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import { LABELS } from '../../src/fleet/backends/remote/agent-runtime.js';
import { expect } from 'vitest';
import {
  FAKE_IMAGE,
  freePort,
  importFakeImage,
  initSwarm,
  startDockerd,
  startPodman,
  type PrivateEngine,
} from '../helpers/engines.js';
import { createFleetSandbox, startFleetServer, type FleetSandbox, type FleetServer } from './fleet-server.js';

/**
 * The fake agent CLI every engine e2e runs: its task text says what to do. `wait-for:<file>` waits for that file
 * beside the script. `attack` is what a hostile agent would try with its clone: commit on main and push there, and to
 * another agent's branch, through a pushurl of its own and with the task's git credential where it can read it (an
 * engine that hands secrets over as files).
 */
const AGENT = `#!/bin/sh
case "$1" in
  write:*) name=\${1#write:}; echo "work of $name" > "$name.txt"; echo "wrote $name.txt"; echo "to stderr" >&2 ;;
  wait-for:*) echo waiting; while [ ! -e "$(dirname "$0")/\${1#wait-for:}" ]; do sleep 0.2; done; echo done > waited.txt; echo released ;;
  sleep) echo sleeping; sleep 600 ;;
  hog) echo hogging; exec node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));' ;;
  attack)
    key=$(cat "\${FLEET_SECRETS_DIR:-/nonexistent}/FLEET_GIT_PASSWORD" 2>/dev/null)
    if [ -n "$key" ]; then echo "attacking with the task's git credential"; fi
    git config remote.origin.pushurl "$FLEET_GIT_URL"
    git config credential.helper "!f() { echo username=fleet; echo password=$key; }; f"
    echo owned > owned.txt && git add owned.txt && git commit -qm owned
    git push origin HEAD:refs/heads/main 2>&1 | tail -1
    git push origin HEAD:refs/heads/fleet/other 2>&1 | tail -1
    git update-ref refs/heads/main HEAD ;;
esac
`;

/** A folder outside /tmp (a sandbox has its own) that any user may read, holding the fake agent (or `script`) as `agent`. */
export function writeFakeAgent(script: string = AGENT): string {
  const dir = mkdtempSync('/var/tmp/fleet-fake-cli-');
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'agent'), script, { mode: 0o755 });
  return dir;
}

/** A fleet whose backend `box` is `backend`, and whose role `boxed` runs `command` (the fake agent's path) there. */
export function engineFleet(options: {
  backend: Record<string, unknown>;
  command: string;
  role?: Record<string, unknown>;
}): FleetSandbox {
  const fleet = createFleetSandbox();
  const config = JSON.parse(readFileSync(fleet.configFile, 'utf8'));
  config.backends = { box: options.backend };
  config.roles.boxed = { command: [options.command, '{task}'], backend: 'box', task_is_operand: true, ...options.role };
  writeFileSync(fleet.configFile, JSON.stringify(config));
  return fleet;
}

export type EngineName = 'docker' | 'podman' | 'swarm';

/** A private engine with the fake image, and the fake agent CLI in a folder the fleet's backend mounts read-only. */
export interface EngineFixture {
  name: EngineName;
  engine: PrivateEngine;
  /** The host folder mounted at /opt/fleet-fake, which holds `agent`. */
  fake: string;
  stop(): Promise<void>;
}

/** Starts the engine, imports the fake image and writes the fake agent CLI (its task text says what to do). */
export async function startEngineFixture(name: EngineName, agentScript: string = AGENT): Promise<EngineFixture> {
  const engine = name === 'podman' ? await startPodman() : await startDockerd();
  importFakeImage(engine, name === 'podman' ? 'podman' : 'docker');
  if (name === 'swarm') await initSwarm(engine);
  const fake = writeFakeAgent(agentScript);
  return {
    name,
    engine,
    fake,
    stop: async () => {
      await engine.stop();
      rmSync(fake, { recursive: true, force: true });
    },
  };
}

/** What the engine still holds for the agent's tasks. */
export async function engineLeftovers(fixture: EngineFixture, agent: string): Promise<string[]> {
  const client = new EngineClient({ host: fixture.engine.host });
  const filters = JSON.stringify({ label: [`${LABELS.agent}=${agent}`] });
  const containers = (await client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: 1, filters } }))
    .body;
  const found = containers.map((container) => `container ${container.Id}`);
  if (fixture.name === 'swarm') {
    for (const kind of ['services', 'secrets'] as const) {
      const objects = (await client.json<{ ID: string }[]>('GET', `/${kind}`, { query: { filters } })).body;
      found.push(...objects.map((object) => `${kind} ${object.ID}`));
    }
  }
  return found;
}

/** A fleet whose role "boxed" runs the fake agent on backend "box" of the fixture's engine, on the host network. */
export function engineFleetOn(
  fixture: EngineFixture,
  roleExtra: Record<string, unknown> = {},
  backendExtra: Record<string, unknown> = {},
): FleetSandbox {
  return engineFleet({
    backend: {
      engine: fixture.name,
      host: fixture.engine.host,
      image: FAKE_IMAGE,
      network: 'host',
      mounts: [
        { source: '/usr', target: '/usr' },
        { source: fixture.fake, target: '/opt/fleet-fake' },
      ],
      secrets: ['FLEET_TEST_PROVIDER_KEY'],
      ...backendExtra,
    },
    command: '/opt/fleet-fake/agent',
    role: roleExtra,
  });
}

export async function waitForLog(server: FleetServer, name: string, text: string): Promise<void> {
  for (;;) {
    if (JSON.stringify(await server.ok('show_agent_log', { name })).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export { startFleetServer };

/** What a restart scenario needs of its test file: a fleet and servers of its own, apart from the file's shared one. */
export interface EngineKit {
  fleet(): FleetSandbox;
  start(fleet: FleetSandbox, env?: NodeJS.ProcessEnv, args?: string[]): Promise<FleetServer>;
  /** What the engine still holds for the agent's tasks. */
  leftovers(agent: string): Promise<string[]>;
  /** The folder of the fake agent, where `wait-for:` looks for its file. */
  fake(): string;
}

/**
 * Roles beside "boxed" on the fleet's config, each "boxed" with its own changes, and backends beside "box": one server
 * then runs the agents of several cases.
 */
export function addRoles(
  fleet: FleetSandbox,
  roles: Record<string, Record<string, unknown>>,
  backends: Record<string, Record<string, unknown>> = {},
): void {
  const config = JSON.parse(readFileSync(fleet.configFile, 'utf8'));
  for (const [name, changes] of Object.entries(backends))
    config.backends[name] = { ...config.backends.box, ...changes };
  for (const [name, changes] of Object.entries(roles)) config.roles[name] = { ...config.roles.boxed, ...changes };
  writeFileSync(fleet.configFile, JSON.stringify(config));
}

/**
 * A hostile agent's task (see `attack`) on a running server moves neither main nor another agent's branch; its own
 * branch gets its work, and deleting it leaves nothing on the engine. Returns the task's log, read before the agent
 * was deleted.
 */
export async function hostileAgentHeld(options: {
  fleet: FleetSandbox;
  server: FleetServer;
  leftovers(agent: string): Promise<string[]>;
}): Promise<string> {
  const { fleet, server } = options;
  const main = execFileSync('git', ['-C', fleet.repo, 'rev-parse', 'main'], { encoding: 'utf8' });
  await server.ok('create_agent', { name: 'mallory', project: 'repo', role: 'boxed', task: 'attack' });
  await server.ok('wait_for_agent', { name: 'mallory', timeout_seconds: 120 });
  const log = JSON.stringify(await server.ok('show_agent_log', { name: 'mallory' }));
  expect(execFileSync('git', ['-C', fleet.repo, 'rev-parse', 'main'], { encoding: 'utf8' })).toBe(main);
  expect(() =>
    execFileSync('git', ['-C', fleet.repo, 'rev-parse', '--verify', '--quiet', 'refs/heads/fleet/other'], {
      stdio: 'pipe',
    }),
  ).toThrow();
  expect(JSON.stringify(await server.ok('show_agent_changes', { name: 'mallory' }))).toContain('owned.txt');
  await server.ok('delete_agent', { name: 'mallory', force: true });
  expect(await options.leftovers('mallory')).toEqual([]);
  return log;
}

/** A server restarted on the same port while a task runs follows it, takes its push, and leaves nothing behind. */
export async function restartFollowed(kit: EngineKit): Promise<void> {
  const fleet = kit.fleet();
  // The task pushes to the address it was given: each server listens where the first one did.
  const port = String(await freePort());
  const start = (): Promise<FleetServer> =>
    kit.start(fleet, { FLEET_MCP_STOP_AGENTS_ON_EXIT: 'false' }, ['--port', port]);
  const first = await start();
  await first.ok('create_agent', { name: 'survivor', project: 'repo', role: 'boxed', task: 'wait-for:go-survivor' });
  await waitForLog(first, 'survivor', 'waiting');
  // Stopped, the server lets go of the task; killed, it cannot: either way the engine keeps it for the next one.
  expect(await first.server.stop('SIGTERM')).toBe(0);
  const second = await start();
  await waitForLog(second, 'survivor', 'followed again by a restarted server');
  await second.server.stop('SIGKILL');
  writeFileSync(join(kit.fake(), 'go-survivor'), '');
  const third = await start();
  const waited = await third.ok('wait_for_agent', { name: 'survivor', timeout_seconds: 120 });
  expect(waited.agent.last_task).toMatchObject({ status: 'completed' });
  expect(JSON.stringify(await third.ok('show_agent_changes', { name: 'survivor' }))).toContain('waited.txt');
  // Every line of its output once, whichever server read it.
  const log = (await third.ok('show_agent_log', { name: 'survivor', page_size: 200 })) as { lines: { text: string }[] };
  const texts = log.lines.map((line) => line.text);
  expect(texts.filter((text) => text === 'waiting')).toHaveLength(1);
  expect(texts.filter((text) => text === 'released')).toHaveLength(1);
  await third.server.stop();
  expect(await kit.leftovers('survivor')).toEqual([]);
}

/**
 * Changes the limits a running task of the agent was started with, as its run files record them for the next server:
 * what a restart finds when the server was down past them.
 */
export function changeRunLimits(fleet: FleetSandbox, agent: string, limits: Record<string, string | number>): void {
  const logs = join(fleet.dataDir, 'logs', agent);
  const run = readdirSync(logs).find((name) => name.endsWith('.run'))!;
  const meta = join(logs, run, 'meta.json');
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), ...limits }));
}

/** Polls until `done`; a minute is far more than any engine step takes (a container's removal), even on a busy box. */
export async function until(
  done: () => boolean | Promise<boolean>,
  what = 'the engine to hold nothing of the task',
): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > 60_000) throw new Error(`waited a minute for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
