import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskRecord } from '../../src/fleet/types.js';
import { initGitRepo } from '../fleet/helpers.js';
import { createSandbox } from '../helpers/sandbox.js';
import type { FleetServer, FleetSandbox } from './fleet-server.js';

/** A role whose task text is the shell script it runs: the fake agent whose task is the attack. */
export const SHELL = ['/bin/sh', '-c', '{task}'];

/**
 * A fleet under /var/tmp, not /tmp: the sandbox's private /tmp would hide it by accident, and what a sandboxed
 * agent cannot reach, the sandbox must have kept from it on purpose. One git project, and the given roles.
 */
export function createShellFleet(
  prefix: string,
  roles: Record<string, unknown>,
  project: Record<string, unknown> = {},
): FleetSandbox {
  const sandbox = createSandbox(`/var/tmp/${prefix}-`);
  const { root, cwd } = sandbox;
  const repo = join(root, 'repo');
  mkdirSync(repo);
  initGitRepo(repo);
  const configFile = join(root, 'fleet.json');
  writeFileSync(
    configFile,
    JSON.stringify({ projects: { repo: { path: repo, description: 'a git repository', ...project } }, roles }),
  );
  return { sandbox, repo, plain: cwd, dataDir: join(root, 'data'), configFile };
}

/** Runs one task on a new agent of the role and returns how it ended and the lines of its log. */
export async function runTask(
  fleet: Pick<FleetServer, 'ok'>,
  agent: string,
  role: string,
  script: string,
): Promise<{ task: TaskRecord; lines: string[] }> {
  await fleet.ok('create_agent', { name: agent, project: 'repo', role, task: script });
  const waited = await fleet.ok('wait_for_agent', { name: agent, timeout_seconds: 60 });
  const log = await fleet.ok('show_agent_log', { name: agent, page_size: 200 });
  return { task: waited.agent.last_task, lines: log.lines.map((line: { text: string }) => line.text) };
}
