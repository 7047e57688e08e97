import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../src/fleet/fleet-api.js';
import { MAX_LINE_CHARS } from '../../src/fleet/logs/line-splitter.js';
import type { LogLine } from '../../src/fleet/types.js';
import { allLogLines, Sandbox } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

/**
 * The attack is the task text, run by sh: 3 MB on one line with NUL bytes and bytes that are not UTF-8, then a
 * flood of short lines, then a last line. The log is capped at 200 kB, so it is trimmed while the agent prints.
 */
const ATTACK = [
  "printf 'a\\000b\\377\\376c'",
  "head -c 3145728 /dev/zero | tr '\\000' 'w'",
  'i=0; while [ $i -lt 20000 ]; do echo "short $i"; i=$((i+1)); done',
  'echo after-the-flood',
].join('; ');

/** The whole log of an agent, oldest first, read page by page. */
async function pagedLog(fleet: Fleet, name: string, pageSize: number): Promise<LogLine[]> {
  const { total_count } = await fleet.agentLog(name, { pageSize: 1 });
  const newestFirst: LogLine[] = [];
  for (let page = 1; page <= Math.ceil(total_count / pageSize); page++)
    newestFirst.push(...(await fleet.agentLog(name, { page, pageSize })).items);
  expect(newestFirst).toHaveLength(total_count);
  return newestFirst.reverse();
}

describe('hostile output', () => {
  it('is logged in bounded lines, capped, in order, and every page of the log reads back what the whole log holds', async () => {
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig({ shell: { command: ['sh', '-c', '{task}'] } });
    const fleet = await sandbox.fleet({ projects, rolesConfig, logCapBytes: 200_000 });
    await fleet.createAgent({ name: 'flooder', project: 'plain', role: 'shell', task: ATTACK });
    const done = await fleet.waitForAgent('flooder', 60_000);
    expect(done.agent.last_task?.status).toBe('completed');

    const lines = await pagedLog(fleet, 'flooder', 500);
    const texts = lines.map((line) => line.text);
    expect(texts[0]).toMatch(/^\[log capped at 200000 bytes: \d+ earlier lines were dropped\]$/);
    const output = lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
    expect(output.at(-1)).toBe('after-the-flood');
    expect(output.every((text) => text.length <= MAX_LINE_CHARS)).toBe(true);
    // The short lines kept are the newest ones, none lost or repeated between trims.
    const shorts = output.filter((text) => text.startsWith('short ')).map((text) => Number(text.slice(6)));
    expect(shorts.length).toBeGreaterThan(100);
    expect(shorts).toEqual(Array.from({ length: shorts.length }, (_, i) => 20_000 - shorts.length + i));

    // Other page boundaries read other parts of the file, from its end and through its line index.
    expect(await pagedLog(fleet, 'flooder', 37)).toEqual(lines);
  });

  it('keeps NUL bytes and replaces bytes that are not UTF-8', async () => {
    const projects = [{ name: 'plain', path: sandbox.dir(), description: '' }];
    const rolesConfig = sandbox.rolesConfig({ shell: { command: ['sh', '-c', '{task}'] } });
    const fleet = await sandbox.fleet({ projects, rolesConfig });
    await fleet.createAgent({ name: 'odd', project: 'plain', role: 'shell', task: "printf 'a\\000b\\377\\376c\\n'" });
    await fleet.waitForAgent('odd', 60_000);
    expect((await allLogLines(fleet, 'odd')).map((line) => line.text)).toContain('a\u0000b\ufffd\ufffdc');
  });
});
