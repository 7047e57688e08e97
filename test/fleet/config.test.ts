import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { loadFleetConfig } from '../../src/fleet/fleet-config.js';
import { folderProjects } from '../../src/fleet/projects.js';

const cwd = mkdtempSync(join(tmpdir(), 'fleet-config-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('FLEET_MCP_MAX_BUSY', () => {
  it('defaults to 8, whatever the number of CPUs, and takes the variable or the flag', () => {
    expect(loadConfig({ env: {}, cwd }).maxBusy).toBe(8);
    expect(loadConfig({ env: { FLEET_MCP_MAX_BUSY: ' 3 ' }, cwd }).maxBusy).toBe(3);
    expect(loadConfig({ env: { FLEET_MCP_MAX_BUSY: '3' }, cwd, flags: { maxBusy: '5' } }).maxBusy).toBe(5);
  });

  it.each(['0', '-1', 'many', '2.5', ''])('refuses %j, naming the variable', (value) => {
    expect(() => loadConfig({ env: { FLEET_MCP_MAX_BUSY: value }, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { FLEET_MCP_MAX_BUSY: value }, cwd })).toThrow(
      /^FLEET_MCP_MAX_BUSY must be a whole number of at least 1/,
    );
  });
});

describe('the roles of the fleet config', () => {
  function load(content: unknown) {
    const file = join(cwd, 'fleet.json');
    writeFileSync(file, JSON.stringify(content));
    return loadFleetConfig({ file, required: true, dirs: [cwd] });
  }

  it('are read along with the projects', () => {
    const config = load({
      projects: { here: { path: cwd } },
      roles: { mine: { command: ['tool', '{task}'], timeout: '30m' } },
    });
    expect(config.roles).toEqual({ mine: { command: ['tool', '{task}'], timeout: '30m' } });
  });

  it('are empty without a config file', () => {
    expect(loadFleetConfig({ file: join(cwd, 'missing.json'), required: false, dirs: [cwd] }).roles).toEqual({});
  });

  it('stop start-up with a line that says where the mistake is', () => {
    expect(() => load({ roles: { mine: { command: ['tool'] } } })).toThrow(
      /roles\.mine\.command: command must contain \{task\}/,
    );
  });
});

describe('project base and setup, and role continue_command, in the fleet config', () => {
  function load(content: unknown) {
    const file = join(cwd, 'fleet.json');
    writeFileSync(file, JSON.stringify(content));
    return loadFleetConfig({ file, required: true, dirs: [cwd] });
  }

  it('reads a project base and setup, with the setup timeout defaulting to 10m', () => {
    const config = load({
      projects: {
        here: { path: cwd, base: 'develop', setup: { copy: ['.env', 'config/local.json'], command: ['npm', 'ci'] } },
      },
    });
    expect(config.projects[0]).toMatchObject({
      base: 'develop',
      setup: { copy: ['.env', 'config/local.json'], command: ['npm', 'ci'], timeout: '10m', timeout_ms: 600_000 },
    });
  });

  it.each([
    [{ base: '--orphan' }, /projects\.here\.base: "base" must be a branch, tag or commit name, not starting with "-"/],
    [{ setup: { copy: ['../outside'] } }, /projects\.here\.setup\.copy\.0: setup\.copy paths must be relative/],
    [{ setup: { copy: ['/etc/passwd'] } }, /setup\.copy paths must be relative/],
    [{ setup: { command: [] } }, /setup\.command must name a program/],
    [{ setup: { command: 'npm ci' } }, /projects\.here\.setup\.command/],
    [{ setup: { command: ['npm', 'ci'], timeout: '0s' } }, /setup\.timeout must be/],
  ])('refuses %j with a line naming the key', (entry, message) => {
    expect(() => load({ projects: { here: { path: cwd, ...entry } } })).toThrow(message);
  });

  it('refuses a continue_command without {task}, and takes null to turn continuing off', () => {
    expect(() =>
      load({ roles: { mine: { command: ['tool', '{task}'], continue_command: ['tool', '--continue'] } } }),
    ).toThrow(/roles\.mine\.continue_command: continue_command must contain \{task\}/);
    expect(load({ roles: { claude: { continue_command: null } } }).roles).toEqual({
      claude: { continue_command: null },
    });
  });
});

describe('folders as projects, without projects in the config', () => {
  const root = mkdtempSync(join(tmpdir(), 'fleet-folders-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names each after its folder, tags a second folder of the same name by its path, and never takes /', () => {
    const first = join(root, 'a', 'my app');
    const second = join(root, 'b', 'my app');
    for (const dir of [first, second]) mkdirSync(dir, { recursive: true });
    const projects = folderProjects(['/', first, second, first, join(root, 'missing')]);
    expect(projects.map((project) => [project.name, project.path])).toEqual([
      ['my-app', first],
      [expect.stringMatching(/^my-app-[0-9a-f]{6}$/), second],
    ]);
    // A folder's tag is its own, the same every time it comes second.
    expect(folderProjects([first, second])[1]!.name).toBe(projects[1]!.name);
    expect(folderProjects([second, first])[1]!.name).not.toBe(projects[1]!.name);
  });
});
