import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initGitRepo } from '../fleet/helpers.js';
import type { Sandbox } from '../helpers/sandbox.js';
import type { FleetSandbox, FleetServer } from './fleet-server.js';

/**
 * A fleet whose roles run their task text as a shell script: `jailed` in the sandbox, `open` outside it. Everything
 * lives under /var/tmp, not /tmp, so the sandbox's private /tmp does not hide it by accident: what an agent cannot
 * reach, the sandbox kept from it on purpose.
 */
export function createShellFleet(roots: string[]): FleetSandbox {
  const root = mkdtempSync('/var/tmp/fleet-mcp-shell-fleet-');
  roots.push(root);
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home);
  const configHome = join(home, '.config');
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('FLEET_MCP_') && key !== 'AUTH_ENABLED' && key !== 'LOG_LEVEL') env[key] = value;
  const sandbox: Sandbox = {
    root,
    cwd,
    configDir: join(configHome, 'fleet-mcp'),
    tokenFile: join(configHome, 'fleet-mcp', 'auth_token'),
    env: { ...env, HOME: home, XDG_CONFIG_HOME: configHome, XDG_DATA_HOME: join(home, '.local', 'share') },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  const repo = join(root, 'repo');
  mkdirSync(repo);
  initGitRepo(repo);
  const configFile = join(root, 'fleet.json');
  const shell = ['/bin/sh', '-c', '{task}'];
  writeFileSync(
    configFile,
    JSON.stringify({
      projects: { repo: { path: repo, description: 'a git repository' } },
      roles: { jailed: { command: shell, sandbox: true, default: true }, open: { command: shell, sandbox: false } },
    }),
  );
  return { sandbox, repo, plain: cwd, dataDir: join(root, 'data'), configFile };
}

/** Creates the agent with `script` as its task and waits for it; its last task and its log's lines. */
export async function runScript(fleet: FleetServer, agent: string, role: string, script: string): Promise<{ task: any; lines: string[] }> {
  await fleet.ok('create_agent', { name: agent, project: 'repo', role, task: script });
  const waited = await fleet.ok('wait_for_agent', { agent_name: agent, timeout_seconds: 60 });
  const log = await fleet.ok('show_agent_log', { agent_name: agent, page_size: 200 });
  return { task: waited.agent.last_task, lines: log.lines.map((line: { text: string }) => line.text) };
}
