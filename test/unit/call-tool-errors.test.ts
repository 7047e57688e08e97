import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { FleetError } from '../../src/fleet/errors.js';
import { callTool, taskPlan } from '../../src/mcp/call-tool.js';
import type { CallContext, FleetToolDeps } from '../../src/mcp/fleet-tool.js';
import type { AnyFleetTool } from '../../src/mcp/fleet-tools.js';
import { listAgents } from '../../src/mcp/tools/list-agents.js';
import { Sandbox } from '../fleet/helpers.js';

// What callTool and a tool's MCP task do with what a handler throws. The process-level proof is
// test/fleet-e2e/unexpected-errors.test.ts; a task's work has no real way to fail unexpectedly, so a declaration does.

const sandbox = new Sandbox();
afterAll(() => sandbox.cleanup());

const INTERNAL = /^internal error \(id ([0-9a-f-]{36})\); the server's log has the details$/;

interface LogLine {
  level: number;
  error_id: string;
  tool: string;
  token_name: string;
  err: { message: string; stack: string };
}

/** A tool whose handler and task work throw what `fault` gives. */
function throwing(fault: () => Error): AnyFleetTool {
  const fail = async (): Promise<never> => {
    throw fault();
  };
  return {
    ...listAgents,
    name: 'throwing',
    handler: fail,
    task: () => ({ ttlMs: 60_000, work: { run: fail, cancel: fail, describe: () => 'working' } }),
  };
}

async function setup(): Promise<{ deps: FleetToolDeps; lines: LogLine[]; call: CallContext }> {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  const deps = { fleet: await sandbox.fleet(), caller: 'lead', logger: pino({ level: 'debug' }, sink) };
  return { deps, lines, call: { signal: new AbortController().signal, progress: undefined } };
}

describe('a tool call whose handler throws', () => {
  it('answers an unexpected error with an id its one error log line carries, with the stack and not the message', async () => {
    const { deps, lines, call } = await setup();
    const tool = throwing(() => new TypeError('cannot read /srv/secret/token.json'));
    const answer = await callTool(tool, {}, deps, call);
    expect(answer).toMatchObject({ isError: true });
    const id = INTERNAL.exec(String(answer.content[0]!.text))?.[1];
    expect(id, String(answer.content[0]!.text)).toBeDefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      error_id: id,
      tool: 'throwing',
      token_name: 'lead',
      err: { message: 'cannot read /srv/secret/token.json' },
    });
    expect(lines[0]!.err.stack).toMatch(/\n\s+at /);

    // Run as an MCP task, its work fails the same way: the task's result and message carry the id alone.
    const { work } = taskPlan(tool, {}, deps);
    const ran = await work.run(new AbortController().signal);
    const taskId = INTERNAL.exec(ran.message)?.[1];
    expect(ran.result).toMatchObject({ isError: true, content: [{ text: ran.message }] });
    expect(lines.map((line) => line.error_id)).toEqual([id, taskId]);
  });

  it('throws an expected error on, as the SDK answered it before, and logs nothing', async () => {
    const { deps, lines, call } = await setup();
    const tool = throwing(() => new FleetError('not_found', 'Agent "x" not found.'));
    await expect(callTool(tool, {}, deps, call)).rejects.toThrow('Agent "x" not found.');
    await expect(taskPlan(tool, {}, deps).work.run(new AbortController().signal)).rejects.toThrow(
      'Agent "x" not found.',
    );
    expect(lines).toEqual([]);
  });

  it('throws on what a cancelled call throws, and logs nothing: nobody hears its answer', async () => {
    const { deps, lines } = await setup();
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(
      callTool(
        throwing(() => new Error('aborted')),
        {},
        deps,
        { signal: cancelled.signal, progress: undefined },
      ),
    ).rejects.toThrow('aborted');
    expect(lines).toEqual([]);
  });
});
