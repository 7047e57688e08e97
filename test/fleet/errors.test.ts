import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_STATUSES } from '../../src/fleet/types.js';
import { Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

async function twoProjectFleet() {
  const rolesConfig = sandbox.rolesConfig({
    special: { command: [process.execPath, '-e', '', '{task}'], projects: ['web'] },
  });
  return sandbox.fleet({
    rolesConfig,
    projects: [
      { name: 'web', path: sandbox.dir(), description: 'the web app' },
      { name: 'api', path: sandbox.dir(), description: 'the API' },
    ],
  });
}

describe('errors a caller can act on', () => {
  it('an unknown project lists the projects', async () => {
    const fleet = await twoProjectFleet();
    await expect(fleet.createAgent({ name: 'a', project: 'mobile', task: 'x' })).rejects.toThrow(
      'Unknown project "mobile". Projects: "web", "api".',
    );
    expect(() => fleet.listRoles('mobile')).toThrow(/Projects: "web", "api"/);
    expect(() => fleet.listAgents({ project: 'mobile' })).toThrow(/Projects: "web", "api"/);
  });

  it('an unknown role, or one not offered for the project, lists the roles of that project', async () => {
    const fleet = await twoProjectFleet();
    await expect(fleet.createAgent({ name: 'a', project: 'web', task: 'x', role: 'writer' })).rejects.toThrow(
      'Unknown role "writer". Roles for project "web": "test", "special".',
    );
    await expect(fleet.createAgent({ name: 'a', project: 'api', task: 'x', role: 'special' })).rejects.toThrow(
      'Role "special" is not offered for project "api". Roles for project "api": "test".',
    );
    expect(fleet.listAgents()).toEqual([]);
  });

  it('marks the effective default role per project', async () => {
    const fleet = await twoProjectFleet();
    expect(fleet.listRoles('web').map((role) => [role.name, role.default])).toEqual([
      ['test', true],
      ['special', false],
    ]);
    expect(fleet.listRoles('api').map((role) => role.name)).toEqual(['test']);
  });

  it('an unknown status filter lists the valid statuses instead of being ignored', async () => {
    const fleet = await twoProjectFleet();
    expect(() => fleet.listAgents({ status: 'running' })).toThrow(
      `Unknown status "running". Valid statuses: ${AGENT_STATUSES.join(', ')}.`,
    );
    expect(AGENT_STATUSES).toHaveLength(11);
  });

  it('an unknown agent lists the agents', async () => {
    const fleet = await twoProjectFleet();
    await fleet.createAgent({ name: 'Known', project: 'api', task: task({}) });
    expect(() => fleet.showAgent('unknown')).toThrow('No agent named "unknown". Existing agents: "Known".');
    await expect(fleet.cancelTask('unknown')).rejects.toThrow(/Existing agents: "Known"/);
  });

  it('a duplicate name, in any case, is refused once with a plain message', async () => {
    const fleet = await twoProjectFleet();
    await fleet.createAgent({ name: 'Builder', project: 'api', task: task({}) });
    const error = (await fleet
      .createAgent({ name: 'bUILDER', project: 'web', task: task({}) })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'An agent named "Builder" already exists (agent names are case-insensitive). Choose another name, or give "Builder" a new task with start_agent_task.',
    );
    expect(fleet.listAgents()).toHaveLength(1);
  });

  it('invalid names and empty tasks are refused before anything is created', async () => {
    const fleet = await twoProjectFleet();
    await expect(fleet.createAgent({ name: 'new', project: 'api', task: 'x' })).rejects.toThrow(/reserved/);
    await expect(fleet.createAgent({ name: 'ok', project: 'api', task: '   ' })).rejects.toThrow(
      /task description is empty/,
    );
    expect(fleet.listAgents()).toEqual([]);
  });

  it('a role limited to an unknown project is a start-up error', async () => {
    await expect(
      sandbox.fleet({ rolesConfig: sandbox.rolesConfig({ odd: { command: ['x', '{task}'], projects: ['nowhere'] } }) }),
    ).rejects.toThrow('Role "odd" is limited to unknown project(s) "nowhere". Projects: "plain".');
  });
});
