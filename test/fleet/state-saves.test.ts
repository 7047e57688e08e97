import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateFileWriter } from '../../src/fs/state-file-writer.js';
import { silentLogger } from '../../src/fleet/logger.js';
import { Store, type AgentRecord } from '../../src/fleet/store.js';
import { newTask } from '../../src/fleet/tasks/task-runs.js';
import { Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/** A state file's content: its sequence number, padded to `bytes` so that writing it takes the disk a while. */
function content(seq: number, bytes = 0): string {
  return JSON.stringify({ seq, pad: 'x'.repeat(bytes) });
}

function failOnError(file: string, error: Error): never {
  throw new Error(`writing ${file} failed: ${error.message}`);
}

function record(name: string, dir: string): AgentRecord {
  const now = new Date().toISOString();
  return {
    agent: {
      name,
      project: 'plain',
      role: 'test',
      backend: 'local',
      status: 'idle',
      created_by: null,
      status_reason: null,
      workdir: dir,
      branch: null,
      base: null,
      current_task_id: null,
      created_at: now,
      updated_at: now,
    },
    tasks: [],
    git: null,
    process: null,
    setup_pending: false,
    ran_sandboxed: false,
  };
}

describe('state saves off the event loop', () => {
  it('lands two quick saves of one file in the order they were asked for, a slow one first', async () => {
    const file = join(sandbox.dir('state-'), 'agent.json');
    const writer = new StateFileWriter(failOnError);
    // Written side by side, the small second save would land first and the big first one over it.
    await Promise.all([writer.write(file, content(1, 4 * 1024 * 1024)), writer.write(file, content(2))]);
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(2);
  });

  it('never shows a reader a torn file, and never an older content after a newer one', async () => {
    const file = join(sandbox.dir('state-'), 'agent.json');
    const writer = new StateFileWriter(failOnError);
    await writer.write(file, content(0));
    let writing = true;
    const writes = (async () => {
      for (let seq = 1; seq <= 12; seq += 1) await writer.write(file, content(seq, 256 * 1024));
      writing = false;
    })();
    const seen: number[] = [];
    while (writing) {
      seen.push(JSON.parse(readFileSync(file, 'utf8')).seq);
      await new Promise((next) => setImmediate(next));
    }
    await writes;
    expect(seen.length).toBeGreaterThan(12);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(12);
    expect(readdirSync(join(file, '..'))).toEqual(['agent.json']);
  });

  it('keeps the newest of saves made while one is being written, and reports a failed one without stopping', async () => {
    const dir = sandbox.dir('state-');
    const file = join(dir, 'agent.json');
    const failed: string[] = [];
    const writer = new StateFileWriter((path) => failed.push(path));
    void writer.write(file, content(1, 4 * 1024 * 1024));
    for (let seq = 2; seq <= 5; seq += 1) void writer.write(file, content(seq));
    await writer.settled(file);
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(5);
    // A file in a folder that is not there cannot be written: that write fails, is reported, and the next one runs.
    const blocked = join(dir, 'blocked');
    await writer.write(join(blocked, 'x'), 'never');
    expect(failed).toEqual([join(blocked, 'x')]);
    await writer.write(file, content(6));
    expect(JSON.parse(readFileSync(file, 'utf8')).seq).toBe(6);
  });

  it('removes an agent after its pending saves, so none of them brings it back; a new one of the name is kept', async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const store = Store.open(dataDir, silentLogger);
    const gone = record('gone', dataDir);
    gone.tasks.push(newTask('gone', 'a long task text '.repeat(40)));
    store.put('gone', gone);
    gone.agent.status = 'busy';
    void store.save('gone');
    await store.remove('gone');
    expect(existsSync(join(dataDir, 'agents', 'gone.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'tasks', 'gone'))).toBe(false);

    const again = record('gone', dataDir);
    again.tasks.push(newTask('gone', 'the second agent of the name, with its own long text '.repeat(10)));
    store.put('gone', again);
    await store.saved('gone');
    const reopened = Store.open(dataDir, silentLogger);
    expect(reopened.get('gone')?.tasks.map((task) => task.description)).toEqual([again.tasks[0]!.description]);
  });

  it("a restarted store finds every saved change, full task texts included, past a killed writer's temp file", async () => {
    const dataDir = sandbox.dir('fleet-data-');
    const store = Store.open(dataDir, silentLogger);
    const kept = record('kept', dataDir);
    const text = `do this: ${'step, '.repeat(100)}`;
    kept.tasks.push(newTask('kept', text));
    store.put('kept', kept);
    kept.agent.status = 'failed';
    kept.agent.status_reason = 'the last change';
    void store.save('kept');
    await store.flush();
    // What a writer killed between writing and renaming leaves: a part of a newer content beside the whole file.
    const temp = join(dataDir, 'agents', '.kept.json.0123456789ab.tmp');
    writeFileSync(temp, '{"version":1,"agent":{"na');

    const reopened = Store.open(dataDir, silentLogger);
    expect(reopened.get('kept')?.agent).toMatchObject({ status: 'failed', status_reason: 'the last change' });
    expect(reopened.get('kept')?.tasks[0]?.description).toBe(text);
    expect(existsSync(temp)).toBe(false);
  });
});
