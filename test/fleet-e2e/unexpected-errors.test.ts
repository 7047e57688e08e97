import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectModernClient } from '../helpers/modern-client.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { killServers, type StartedServer } from '../helpers/server.js';
import { startStdioClient, stopStdioClients } from '../helpers/stdio-client.js';
import { createFleetSandbox, startFleetServer, task } from './fleet-server.js';

afterAll(async () => {
  await stopStdioClients();
  expectNoSecretInLogs();
  killServers();
  cleanupSandboxes();
});

const INTERNAL = /^internal error \(id ([0-9a-f-]{36})\); the server's log has the details$/;

const PINO_ERROR = 50;

interface LogLine {
  level: number;
  msg: string;
  error_id?: string;
  token_name?: string;
  tool?: string;
  err?: { type: string; message: string; stack: string };
}

function logLines(server: StartedServer): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Resolves once the server's log has a line for which `found` holds: its answer may reach the test before its log does. */
function logLine(server: StartedServer, found: (line: LogLine) => boolean): Promise<LogLine> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const line = logLines(server).find(found);
      if (line) resolve(line);
      return line !== undefined;
    };
    if (check()) return;
    const onData = (): void => {
      if (check()) server.process.stdout!.off('data', onData);
    };
    server.process.stdout!.on('data', onData);
  });
}

function idOf(text: string): string {
  const match = INTERNAL.exec(text);
  expect(match, text).not.toBeNull();
  return match![1]!;
}

describe('an unexpected error in a tool handler', () => {
  it('is logged once with its stack, the tool and the token name, and answered in both eras and on stdio as an internal error with the log line id', async () => {
    const sandbox = createFleetSandbox();
    const fleet = await startFleetServer(sandbox);
    await fleet.ok('create_agent', { name: 'worker', project: 'repo', task: task({ lines: ['one', 'two'] }) });
    const waited = await fleet.ok('wait_for_agent', { name: 'worker', timeout_seconds: 120 });
    // A state the server does not expect: the log file of the ended task is now a folder, so reading it fails (EISDIR).
    const logFile = join(sandbox.dataDir, 'logs', 'worker', `${waited.agent.last_task.id}.jsonl`);
    rmSync(logFile);
    mkdirSync(logFile);
    writeFileSync(join(logFile, 'entry'), 'x');

    const legacy = await fleet.call('show_agent_log', { name: 'worker' });
    expect(legacy.isError).toBe(true);
    const legacyId = idOf(legacy.text);

    const token = JSON.parse(readFileSync(sandbox.sandbox.tokenFile, 'utf8')).value as string;
    const modern = await connectModernClient(fleet.server.mcpUrl, token);
    const modernAnswer = await modern.callTool({ name: 'show_agent_log', arguments: { name: 'worker' } });
    expect(modernAnswer.isError).toBe(true);
    const modernId = idOf((modernAnswer.content as { text: string }[])[0]!.text);
    expect(modernId).not.toBe(legacyId);

    // A stdio client on the same data dir is served by this server, through its socket, as the "stdio" caller.
    const stdio = await startStdioClient(sandbox.sandbox, {
      env: { FLEET_MCP_CONFIG: sandbox.configFile, FLEET_MCP_DATA_DIR: sandbox.dataDir },
    });
    const stdioAnswer = await stdio.call('show_agent_log', { name: 'worker' });
    expect(stdioAnswer.isError).toBe(true);
    const stdioId = idOf(stdioAnswer.text);
    await stdio.close();

    const callers = { [legacyId]: 'shared', [modernId]: 'shared', [stdioId]: 'stdio' };
    for (const [id, caller] of Object.entries(callers)) {
      const line = await logLine(fleet.server, (candidate) => candidate.error_id === id);
      expect(line).toMatchObject({
        level: PINO_ERROR,
        tool: 'show_agent_log',
        token_name: caller,
        err: { message: expect.stringContaining('EISDIR') },
      });
      expect(line.err!.stack).toMatch(/\n\s+at /);
      expect(logLines(fleet.server).filter((candidate) => JSON.stringify(candidate).includes(id))).toHaveLength(1);
    }

    // An expected refusal keeps its answer and is not logged at error level.
    expect(await fleet.fails('show_agent_log', { name: 'nobody' })).toMatch(/nobody/);
    const modernRefusal = await modern.callTool({ name: 'show_agent_log', arguments: { name: 'nobody' } });
    expect(modernRefusal).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/nobody/) }] });
    await modern.close();
    await fleet.server.stop();
    expect(
      logLines(fleet.server)
        .filter((line) => line.level >= PINO_ERROR)
        .map((line) => line.error_id),
    ).toEqual([legacyId, modernId, stdioId]);
  });
});
