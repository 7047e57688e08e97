import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFleetConfig } from '../../src/commands/fleet-config-reload.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe("the folders of a fleet's clients, without projects in the config", () => {
  it("become projects, at most 100 of them for the fleet's life", async () => {
    const root = sandbox.dir('fleet-folders-');
    const home = join(root, 'home');
    mkdirSync(home);
    const config = loadConfig({
      env: { HOME: home, FLEET_MCP_DATA_DIR: join(root, 'data') },
      cwd: root,
      configDir: join(root, 'config'),
    });
    const fleet = await sandbox.fleet({ projects: [] });
    const watcher = watchFleetConfig({ config, fleet, logger: createLogger({ level: 'silent' }) });
    try {
      for (let i = 0; i < 120; i += 1) {
        const dir = join(root, `client-${i}`);
        mkdirSync(dir);
        watcher.addClientDir(dir);
      }
      const names = fleet.listProjects().map((project) => project.name);
      // The server's own folder first, then the clients' until the cap.
      expect(names).toHaveLength(100);
      expect(names.slice(0, 3)).toEqual([expect.stringMatching(/^fleet-folders-/), 'client-0', 'client-1']);
      expect(names.at(-1)).toBe('client-98');
    } finally {
      watcher.close();
    }
  });
});
