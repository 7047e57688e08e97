import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { EngineTaskFile } from '../../src/fleet/backends/remote/engine-launch.js';
import { ENGINE_REFUSED } from '../../src/fleet/backends/remote/engine-task.js';
import type { Sandbox } from './sandbox.js';

/**
 * The engine relay started by `launcher` (a bundle's path after node, say) loads and reads its task: given one whose
 * secret never reached it, it refuses with its own exit code and message before asking the engine, which no one
 * runs at the socket it names.
 */
export async function expectRelayLoads(sandbox: Sandbox, launcher: string[]): Promise<void> {
  const file = join(sandbox.root, 'engine-task.json');
  const task: EngineTaskFile = {
    backend: {
      name: 'nowhere',
      engine: 'docker',
      host: `unix://${join(sandbox.root, 'no-engine.sock')}`,
      image: 'none',
      network: 'none',
      mounts: [],
      limits: {},
      secrets: [],
    },
    spec: {
      labels: { server: 'relay-test', agent: 'relay-test', task: '1' },
      image: 'none',
      command: ['true'],
      env: {},
      limits: { cpus: null, memoryBytes: null, pids: null },
      network: 'none',
      readOnlyMounts: [],
    },
    secretNames: ['FLEET_RELAY_TEST_SECRET'],
    stopGraceMs: 1000,
  };
  writeFileSync(file, JSON.stringify(task));
  const [command, ...args] = launcher;
  const ended = await new Promise<{ code: number; stderr: string }>((done) =>
    execFile(command!, [...args, '__engine-task', file], { env: sandbox.env }, (error, _, stderr) =>
      done({ code: error ? Number(error.code) : 0, stderr }),
    ),
  );
  expect(ended).toEqual({
    code: ENGINE_REFUSED,
    stderr: "fleet-mcp: the secret FLEET_RELAY_TEST_SECRET did not reach the task's relay; nothing was started\n",
  });
}
