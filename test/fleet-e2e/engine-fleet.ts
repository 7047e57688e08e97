import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineClient } from '../../src/fleet/backends/container/engine-client.js';
import { LABELS } from '../../src/fleet/backends/remote/agent-runtime.js';
import { FAKE_IMAGE, importFakeImage, initSwarm, startDockerd, startPodman, type PrivateEngine } from '../helpers/engines.js';
import { createFleetSandbox, startFleetServer, type FleetSandbox, type FleetServer } from './fleet-server.js';

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
export async function startEngineFixture(name: EngineName, agentScript: string): Promise<EngineFixture> {
  const engine = name === 'podman' ? await startPodman() : await startDockerd();
  importFakeImage(engine, name === 'podman' ? 'podman' : 'docker');
  if (name === 'swarm') await initSwarm(engine);
  const fake = mkdtempSync('/var/tmp/fleet-fake-cli-');
  chmodSync(fake, 0o755);
  writeFileSync(join(fake, 'agent'), agentScript, { mode: 0o755 });
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
  const containers = (await client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: 1, filters } })).body;
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
export function engineFleet(fixture: EngineFixture, roleExtra: Record<string, unknown> = {}, backendExtra: Record<string, unknown> = {}): FleetSandbox {
  const fleet = createFleetSandbox();
  const config = JSON.parse(readFileSync(fleet.configFile, 'utf8'));
  config.backends = {
    box: {
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
  };
  config.roles.boxed = { command: ['/opt/fleet-fake/agent', '{task}'], backend: 'box', task_is_operand: true, ...roleExtra };
  writeFileSync(fleet.configFile, JSON.stringify(config));
  return fleet;
}

export async function waitForLog(server: FleetServer, name: string, text: string): Promise<void> {
  for (;;) {
    if (JSON.stringify(await server.ok('show_agent_log', { name })).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export { startFleetServer };
