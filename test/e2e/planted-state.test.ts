import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answersPing, liveGroupLeader } from '../helpers/ping-process.js';
import { initGitRepo } from '../fleet/helpers.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { startInProcessServer, stopInProcessServers } from '../helpers/in-process-server.js';

// What the server makes of the state files it finds is the subject: it runs in this process.
const children: ChildProcess[] = [];
afterAll(async () => {
  await stopInProcessServers();
  for (const child of children) child.kill('SIGKILL');
  cleanupSandboxes();
});

function agentState(
  name: string,
  fields: { status: string; workdir: string; repo: string; worktree: string; process?: object },
): object {
  const now = new Date().toISOString();
  const running = fields.process !== undefined;
  return {
    version: 1,
    agent: {
      name,
      project: 'work',
      role: 'test',
      status: fields.status,
      status_reason: null,
      workdir: fields.workdir,
      branch: `fleet/${name}`,
      current_task_id: running ? 't1' : null,
      created_at: now,
      updated_at: now,
    },
    tasks: running
      ? [
          {
            id: 't1',
            agent: name,
            description: 'x',
            status: 'running',
            exit_code: null,
            reason: null,
            started_at: now,
            ended_at: null,
            log_lines: 0,
          },
        ]
      : [],
    git: { repo_root: fields.repo, worktree: fields.worktree },
    process: fields.process ?? null,
  };
}

describe('state planted in the data dir is validated before the server acts on it', () => {
  it('a "deleting" agent pointing outside the data dir leaves that directory, and a pid without its start time is not killed', async () => {
    const sandbox = createSandbox();
    mkdirSync(join(sandbox.root, 'repo'));
    const repo = initGitRepo(join(sandbox.root, 'repo'));
    const dataDir = join(sandbox.root, 'data');
    const agents = join(dataDir, 'agents');
    mkdirSync(agents, { recursive: true, mode: 0o700 });

    const victim = join(sandbox.root, 'victim');
    mkdirSync(victim);
    writeFileSync(join(victim, 'precious.txt'), 'keep me');
    writeFileSync(
      join(agents, 'intruder.json'),
      JSON.stringify(agentState('intruder', { status: 'deleting', workdir: victim, repo, worktree: victim })),
    );

    const wrongStart = liveGroupLeader(children);
    const noStart = liveGroupLeader(children);
    for (const [name, child, pidStart] of [
      ['wrongstart', wrongStart, '1'],
      ['nostart', noStart, null],
    ] as const) {
      const worktree = join(dataDir, 'worktrees', name);
      mkdirSync(worktree, { recursive: true });
      const state = agentState(name, {
        status: 'busy',
        workdir: worktree,
        repo,
        worktree,
        process: { task_id: 't1', pid: child.pid, pid_start: pidStart },
      });
      writeFileSync(join(agents, `${name}.json`), JSON.stringify(state));
    }

    const server = await startInProcessServer(sandbox, { env: { FLEET_MCP_DATA_DIR: dataDir } });
    expect(readFileSync(join(victim, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(await answersPing(wrongStart)).toBe(true);
    expect(await answersPing(noStart)).toBe(true);
    const warning = server
      .output()
      .split('\n')
      .filter((line) => line.includes('ignoring an agent state file'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warning).toEqual([
      expect.objectContaining({
        file: join(agents, 'intruder.json'),
        reason: expect.stringContaining(`its worktree ${victim} is not in`),
      }),
    ]);
    await server.stop();
  });
});
