import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers } from '../helpers/server.js';
import { git, isRunning } from '../fleet/helpers.js';
import { withFakeClaude } from './fake-claude.js';
import { createFleetSandbox, startFleetServer, task, type FleetSandbox } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  killServers();
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/** Adds a role whose task text is a shell snippet, the way to make an agent commit and start processes for real. */
function withShellRole(sandbox: FleetSandbox): FleetSandbox {
  const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
  config.roles.shell = { command: ['/bin/sh', '-c', 'eval "$1"', 'sh', '{task}'] };
  writeFileSync(sandbox.configFile, JSON.stringify(config));
  return sandbox;
}

describe('task outcomes and the queue through the MCP tools', () => {
  it("shows each task's outcome and usage, and the sums per agent, on show_agent, list_agents and the task history", async () => {
    const claude = withFakeClaude(createFleetSandbox());
    try {
      const fleet = await startInProcessFleetServer(claude.sandbox, {
        PATH: claude.path,
        GIT_AUTHOR_NAME: 'A',
        GIT_AUTHOR_EMAIL: 'a@test.invalid',
        GIT_COMMITTER_NAME: 'A',
        GIT_COMMITTER_EMAIL: 'a@test.invalid',
      });
      await fleet.ok('create_agent', {
        name: 'writer',
        project: 'repo',
        role: 'claude',
        task: 'write a.txt: a\nCommit it.',
      });
      const first = await fleet.ok('wait_for_agent', { name: 'writer', timeout_seconds: 60 });
      expect(first.agent.last_task).toMatchObject({
        status: 'completed',
        outcome: 'needs_review',
        reason: expect.stringMatching(/^the task asked for a commit and the agent made none/),
        usage: { input_tokens: 200, output_tokens: 40, cost_usd: 0.0016 },
        started_by: 'shared',
      });
      await fleet.ok('start_agent_task', { name: 'writer', task: 'api 401: fail' });
      const second = await fleet.ok('wait_for_agent', { name: 'writer', timeout_seconds: 60 });
      expect(second.agent.last_task).toMatchObject({
        status: 'failed',
        outcome: 'provider_error',
        reason: 'exit code 1: API Error: 401 fake provider says no',
      });
      const totals = { tasks: 2, input_tokens: 200, output_tokens: 40, cost_usd: 0.0016, tasks_without_cost: 0 };
      expect((await fleet.ok('show_agent', { name: 'writer' })).usage).toMatchObject(totals);
      const listed = await fleet.ok('list_agents');
      expect(listed.agents[0].usage).toMatchObject(totals);
      // The fleet's totals, per project and per token: they outlive the agent.
      expect(listed.usage).toMatchObject({ total: totals, by_project: { repo: totals }, by_token: { shared: totals } });
      const status = await runCli(claude.sandbox.sandbox, ['status', '--json', '--data-dir', claude.sandbox.dataDir]);
      expect(JSON.parse(status.stdout).usage).toMatchObject({ total: totals, by_project: { repo: totals } });
      const history = await fleet.ok('show_agent_task_history', { name: 'writer' });
      expect(history.tasks.map((item: { outcome: string }) => item.outcome).sort()).toEqual([
        'needs_review',
        'provider_error',
      ]);
      await fleet.server.stop();
    } finally {
      claude.cleanup();
    }
  });

  it('queues over FLEET_MCP_MAX_BUSY, shows the position, and reports what each task committed', async () => {
    const sandbox = withShellRole(createFleetSandbox());
    const fleet = await startInProcessFleetServer(sandbox, { FLEET_MCP_MAX_BUSY: '1' });
    await fleet.ok('create_agent', { name: 'hog', project: 'plain', task: task({ sleepMs: 120_000 }) });
    const queued = await fleet.ok('create_agent', {
      name: 'committer',
      project: 'repo',
      role: 'shell',
      task: 'echo x > x.txt && git add x.txt && git -c user.name=T -c user.email=t@t.invalid commit -q -m "add x"',
    });
    expect(queued).toMatchObject({ status: 'pending', last_task: { status: 'queued', queue_position: 1 } });

    await fleet.ok('cancel_agent_task', { name: 'hog' });
    const waited = await fleet.ok('wait_for_agent', { name: 'committer', timeout_seconds: 30 });
    const sha = git(sandbox.repo, ['rev-parse', 'fleet/committer']);
    expect(waited.agent.last_task).toMatchObject({
      status: 'completed',
      exit_code: 0,
      commits: [{ sha, subject: 'add x' }],
      files_changed: ['x.txt'],
      uncommitted_changes: false,
      queue_position: null,
    });
    const history = await fleet.ok('show_agent_task_history', { name: 'committer' });
    expect(history.tasks[0]).toMatchObject({ commits: [{ subject: 'add x' }], duration_ms: expect.any(Number) });
    await fleet.server.stop();
  });

  // The real process: SIGTERM is what stops it.
  it('leaves no process of an agent behind when the server stops', async () => {
    const sandbox = withShellRole(createFleetSandbox());
    const fleet = await startFleetServer(sandbox);
    await fleet.ok('create_agent', {
      name: 'spawner',
      project: 'plain',
      role: 'shell',
      task: 'sleep 300 >/dev/null 2>&1 & echo "BG $!"; sleep 120',
    });
    let pid = 0;
    await expect
      .poll(
        async () => {
          const lines = (await fleet.ok('show_agent_log', { name: 'spawner' })).lines as { text: string }[];
          pid = Number(lines.find((line) => line.text.startsWith('BG '))?.text.slice(3) ?? 0);
          return pid;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
    expect(isRunning(pid)).toBe(true);
    expect(await fleet.server.stop('SIGTERM')).toBe(0);
    expect(isRunning(pid)).toBe(false);
  });

  it('refuses a task text starting with "-" for a role that would read it as an option, and warns at start-up about that role only', async () => {
    const sandbox = withShellRole(createFleetSandbox());
    const config = JSON.parse(readFileSync(sandbox.configFile, 'utf8'));
    config.roles.bare = { command: ['git', 'log', '-n', '1', '{task}'] };
    writeFileSync(sandbox.configFile, JSON.stringify(config));
    const fleet = await startInProcessFleetServer(sandbox);
    const leak = join(mkdtempSync('/var/tmp/fleet-mcp-option-'), 'leak');
    try {
      const refusal = await fleet.fails('create_agent', {
        name: 'leaker',
        project: 'repo',
        role: 'bare',
        task: `--output=${leak}`,
      });
      expect(refusal).toMatch(/role "bare" would pass to its program as an option.*put "--" before \{task\}/);
      expect(existsSync(leak)).toBe(false);
    } finally {
      rmSync(dirname(leak), { recursive: true });
    }
    // The sh -c role takes the task as $1, after its script: no option of sh, so no warning.
    await expect
      .poll(() => fleet.server.output(), { timeout: 5000 })
      .toMatch(/"role":"bare".*so such tasks are refused: put \\"--\\" before \{task\}/);
    expect(fleet.server.output()).not.toContain('"role":"shell"');
    await fleet.server.stop();
  });
});
