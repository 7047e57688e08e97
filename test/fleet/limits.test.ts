import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetError } from '../../src/fleet/errors.js';
import { silentLogger } from '../../src/fleet/logger.js';
import { Store } from '../../src/fleet/store.js';
import { newTask } from '../../src/fleet/tasks/task-runs.js';
import { Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('the agent cap', () => {
  it('refuses create_agent past FLEET_MCP_MAX_AGENTS with an error that names the limit and the way out, and makes room on delete', async () => {
    const fleet = await sandbox.fleet({ maxAgents: 2 });
    await fleet.createAgent({ name: 'a1', project: 'plain', task: task({}) });
    await fleet.createAgent({ name: 'a2', project: 'plain', task: task({}) });
    const refused = fleet.createAgent({ name: 'a3', project: 'plain', task: task({}) });
    await expect(refused).rejects.toThrow(FleetError);
    await expect(refused).rejects.toThrow(/2 agents.*FLEET_MCP_MAX_AGENTS=2.*delete_agent/);
    expect(fleet.listAgents().map((agent) => agent.name)).toEqual(['a1', 'a2']);

    await fleet.waitForAgent('a1', 20_000);
    await fleet.deleteAgent('a1');
    await expect(fleet.createAgent({ name: 'a3', project: 'plain', task: task({}) })).resolves.toMatchObject({
      name: 'a3',
    });
  });
});

describe('agent state files', () => {
  it('stay small after many large tasks: each task text is stored once in its own file, the state keeps a preview', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const fleet = await sandbox.fleet({ dataDir });
    const padding = 'p'.repeat(90_000);
    const big = (i: number) => task({ lines: [`task ${i}`], ...({ padding } as object) });
    await fleet.createAgent({ name: 'writer', project: 'plain', task: big(0) });
    for (let i = 1; i < 12; i++) {
      await fleet.waitForAgent('writer', 20_000);
      await fleet.startTask('writer', big(i));
    }
    await fleet.waitForAgent('writer', 20_000);

    // 12 tasks of 90k characters inline would be over 1 MB; each status change rewrote all of it.
    expect(statSync(join(dataDir, 'agents', 'writer.json')).size).toBeLessThan(30_000);
    const texts = readdirSync(join(dataDir, 'tasks', 'writer'));
    expect(texts).toHaveLength(12);
    const history = fleet.taskHistory('writer', { page: 1, pageSize: 100 }).items;
    expect(history.map((entry) => entry.description)).toEqual(Array.from({ length: 12 }, (_, i) => big(11 - i)));
    for (const entry of history)
      expect(readFileSync(join(dataDir, 'tasks', 'writer', `${entry.id}.txt`), 'utf8')).toBe(entry.description);

    await fleet.shutdown();
    const reopened = await sandbox.fleet({ dataDir });
    expect(reopened.taskHistory('writer', { page: 1, pageSize: 100 }).items.map((entry) => entry.description)).toEqual(
      history.map((entry) => entry.description),
    );
    await reopened.deleteAgent('writer');
    expect(readdirSync(join(dataDir, 'tasks'))).toEqual([]);
  });
});

describe('a state file with task texts inline (written before texts had their own files)', () => {
  it('is read with its full texts, moved to the new layout on its next save, and its text file paths are never taken from the file', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const text = 'x'.repeat(5_000);
    const old = newTask('legacy', text);
    const planted = { ...newTask('legacy', 'short preview'), description_file: '/etc/hostname' };
    const agent = {
      name: 'legacy',
      project: 'plain',
      role: 'test',
      status: 'idle',
      status_reason: null,
      workdir: dataDir,
      branch: null,
      current_task_id: null,
      created_at: old.created_at,
      updated_at: old.created_at,
    };
    mkdirSync(join(dataDir, 'agents'), { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'agents', 'legacy.json');
    writeFileSync(file, JSON.stringify({ version: 1, agent, tasks: [old, planted], git: null, process: null }), {
      mode: 0o600,
    });

    const store = Store.open(dataDir, silentLogger);
    expect(store.get('legacy')!.tasks.map((entry) => entry.description)).toEqual([text, 'short preview']);
    store.save('legacy');
    await store.flush();
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.tasks[0].description).toHaveLength(201);
    expect(saved.tasks[0].description_file).toBe(`tasks/legacy/${old.id}.txt`);
    expect(readFileSync(join(dataDir, saved.tasks[0].description_file), 'utf8')).toBe(text);
    expect(
      Store.open(dataDir, silentLogger)
        .get('legacy')!
        .tasks.map((entry) => entry.description),
    ).toEqual([text, 'short preview']);
  });
});
