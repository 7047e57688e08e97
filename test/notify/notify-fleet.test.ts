import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/fleet/types.js';
import { startFleetServer, type FleetSandbox, type FleetServer } from '../fleet-e2e/fleet-server.js';
import { createShellFleet, SHELL } from '../fleet-e2e/shell-fleet.js';
import { cleanupSandboxes, createSandbox } from '../helpers/sandbox.js';
import { expectNoSecretInLogs, rememberSecret } from '../helpers/secrets.js';
import { expectStartFailure, killServers } from '../helpers/server.js';
import { startReceiver, type Received, type Receiver } from './receiver.js';
import { loadConfig } from '../../src/config.js';
import { errorReport } from '../../src/error-report.js';
import { readFleetConfig } from '../../src/fleet/fleet-config.js';
import { resolveNotifySettings } from '../../src/notify/notify-config.js';

// Notices from a real `serve` when real `sh -c` agents' tasks end: to a signing-checking receiver on loopback that
// fails each delivery's first attempt, and to a local command.

const SECRET = rememberSecret('notify-secret-5f1c9a0e7b2d4c8e');
let fleet: FleetSandbox;
let server: FleetServer;
let hook: Receiver;
let notices: string;
let secretFile: string;

beforeAll(async () => {
  // Each delivery's first attempt gets a 503: every notice proves a retry.
  const firstAttempts = new Set<string>();
  hook = await startReceiver(SECRET, (n) => {
    const delivery = String(hook.received[n - 1]!.headers['x-fleet-delivery']);
    if (firstAttempts.has(delivery)) return 200;
    firstAttempts.add(delivery);
    return 503;
  });
  fleet = createShellFleet('fleet-mcp-notify', {
    sh: { command: SHELL, description: 'runs its task as a script', default: true },
    jailed: { command: SHELL, description: 'the same, sandboxed', sandbox: true },
  });
  notices = join(fleet.sandbox.root, 'notices');
  mkdirSync(notices);
  secretFile = join(fleet.sandbox.root, 'webhook-secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const config = JSON.parse(readFileSync(fleet.configFile, 'utf8'));
  config.notify = {
    webhook: { url: hook.url, secret_file: secretFile, max_attempts: 3, first_retry_after: '10ms' },
    command: ['/bin/sh', '-c', `cat > "${notices}/$FLEET_NOTIFY_TASK_ID.$FLEET_NOTIFY_STATUS.json"`],
  };
  writeFileSync(fleet.configFile, JSON.stringify(config));
  server = await startFleetServer(fleet, { FLEET_MCP_MAX_BUSY: '1' });
});

afterAll(async () => {
  killServers();
  await hook.close();
  cleanupSandboxes();
  expectNoSecretInLogs();
});

/** The delivered notice of the task (its last attempt, the one answered 200). */
async function noticeOf(taskId: string): Promise<Received> {
  for (let count = 1; ; count += 1) {
    const received = await hook.waitFor(count);
    const found = received.filter((got) => JSON.parse(got.body).task.id === taskId);
    if (found.length === 2) return found[1]!;
  }
}

async function runToEnd(name: string, task: string, role = 'sh'): Promise<TaskRecord> {
  await server.ok('create_agent', { name, project: 'repo', role, task });
  return (await server.ok('wait_for_agent', { name, timeout_seconds: 60 })).agent.last_task;
}

describe('notices when a task ends', () => {
  it('a completed task is posted, signed, after a retry, with no token in it; the command gets it on stdin', async () => {
    const task = await runToEnd('done', "echo hi; printf 'x' > f.txt");
    const notice = await noticeOf(task.id);
    expect(notice.signatureValid).toBe(true);
    const event = JSON.parse(notice.body);
    expect(event).toMatchObject({
      event: 'task_ended',
      agent: 'done',
      project: 'repo',
      role: 'sh',
      task: { id: task.id, status: 'completed', reason: null, started_by: 'shared' },
    });
    const token = JSON.parse(readFileSync(fleet.sandbox.tokenFile, 'utf8')).value;
    expect(notice.body).not.toContain(token);
    expect(JSON.stringify(notice.headers)).not.toContain(token);
    expect(notice.body).not.toContain(SECRET);

    await expect.poll(() => readdirSync(notices), { timeout: 20_000 }).toContain(`${task.id}.completed.json`);
    expect(JSON.parse(readFileSync(join(notices, `${task.id}.completed.json`), 'utf8'))).toEqual(event);
  });

  it('a failed task and a queued task canceled before it ran are each told once, with the reason', async () => {
    const failed = await runToEnd('failing', 'exit 4');
    expect(JSON.parse((await noticeOf(failed.id)).body).task).toMatchObject({
      status: 'failed',
      reason: 'exit code 4',
    });

    await server.ok('create_agent', { name: 'holder', project: 'repo', task: 'sleep 300' });
    await server.ok('create_agent', { name: 'waiter', project: 'repo', task: 'echo never' });
    const canceled = (await server.ok('cancel_agent_task', { name: 'waiter' })).last_task;
    await server.ok('cancel_agent_task', { name: 'holder' });
    expect(JSON.parse((await noticeOf(canceled.id)).body).task).toMatchObject({ status: 'canceled', started_at: null });
    const deliveries = hook.received.filter((got) => JSON.parse(got.body).task.id === canceled.id);
    expect(new Set(deliveries.map((got) => got.headers['x-fleet-delivery'])).size).toBe(1);
  });

  it('a sandboxed agent cannot read the webhook secret file, nor find the secret in its environment', async () => {
    const task = await runToEnd('thief', `cat '${secretFile}'; env; exit 0`, 'jailed');
    const log = await server.ok('show_agent_log', { name: 'thief', page_size: 500 });
    const text = log.lines.map((line: { text: string }) => line.text).join('\n');
    expect(text).toMatch(new RegExp(`cat: '?${secretFile}'?: (No such file or directory|Permission denied)`));
    expect(JSON.stringify(log)).not.toContain(SECRET);
    expect(JSON.stringify(log)).not.toContain('FLEET_MCP_');
    expect(JSON.parse((await noticeOf(task.id)).body).task.final_message ?? '').not.toContain(SECRET);
  });
});

describe('notify settings in a running server', () => {
  it('a changed notify key is said to apply at the next start, and the notices go on as configured', async () => {
    const config = JSON.parse(readFileSync(fleet.configFile, 'utf8'));
    writeFileSync(fleet.configFile, JSON.stringify({ ...config, notify: { command: ['/bin/true'] } }));
    await expect
      .poll(() => server.server.output(), { timeout: 20_000 })
      .toContain('the notify settings changed; they apply when the server restarts');
    const task = await runToEnd('after-edit', 'exit 0');
    expect((await noticeOf(task.id)).signatureValid).toBe(true);
  });
});

/**
 * What `serve` prints when it refuses these notify settings, without starting a process: the settings, the fleet
 * config and the notify check, as serve runs them, and the CLI's own rendering of the error.
 */
function startReport(notify: unknown, env: NodeJS.ProcessEnv = {}): string {
  const sandbox = createSandbox();
  const configFile = join(sandbox.root, 'fleet.json');
  writeFileSync(configFile, JSON.stringify({ roles: { sh: { command: SHELL, default: true } }, notify }));
  const fullEnv = { ...sandbox.env, FLEET_MCP_CONFIG: configFile, ...env };
  try {
    const config = loadConfig({ env: fullEnv, cwd: sandbox.cwd, configDir: sandbox.configDir });
    resolveNotifySettings(readFleetConfig(config).notify, fullEnv);
  } catch (error) {
    return errorReport(error);
  }
  throw new Error('the notify settings were accepted');
}

/** One line on stderr that names the key and the fix; no stack trace. */
function expectRefused(notify: unknown, env: NodeJS.ProcessEnv, message: RegExp): void {
  const stderr = startReport(notify, env);
  expect(stderr).toMatch(/^fleet-mcp: [^\n]+\n$/);
  expect(stderr).toMatch(message);
}

describe('notify settings are checked at start', () => {
  // The process is the subject once: serve reads the webhook from its environment and stops with exit 1.
  it('serve stops with exit 1 and one line when the webhook set in its environment has a short secret', async () => {
    const bad = createShellFleet('fleet-mcp-notify-bad', { sh: { command: SHELL, default: true } });
    const result = await expectStartFailure(bad.sandbox, {
      env: {
        FLEET_MCP_CONFIG: bad.configFile,
        FLEET_MCP_DATA_DIR: bad.dataDir,
        FLEET_MCP_WEBHOOK_URL: 'http://127.0.0.1:9/',
        FLEET_MCP_WEBHOOK_SECRET: 'short',
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^fleet-mcp: notify\.webhook needs a signing secret of at least 16 characters[^\n]+\n$/,
    );
  });

  it.each([
    [{ webhook: { url: 'ftp://example.invalid/' } }, /notify\.webhook\.url: must be an http:\/\/ or https:\/\/ URL/],
    [
      { webhook: { url: 'http://127.0.0.1:9/' } },
      /notify\.webhook needs a signing secret .* notify\.webhook\.secret_file .* FLEET_MCP_WEBHOOK_SECRET/,
    ],
    [{ webhook: { url: 'http://127.0.0.1:9/', max_attempts: 50 } }, /notify\.webhook\.max_attempts: must be 1 to 10/],
    [{ command: [] }, /notify\.command: must name a program/],
  ])('%j stops the server with the key and the fix', (notify, message) => {
    expectRefused(notify, {}, message);
  });

  it.each([
    [
      { FLEET_MCP_WEBHOOK_URL: 'http://user:pw@127.0.0.1:9/' },
      /FLEET_MCP_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL without user or password/,
    ],
    [
      { FLEET_MCP_WEBHOOK_URL: 'http://127.0.0.1:9/', FLEET_MCP_WEBHOOK_SECRET: 'short' },
      /notify\.webhook needs a signing secret of at least 16 characters/,
    ],
  ])('the webhook set in the environment is checked too: %j', (env, message) => {
    expectRefused(undefined, env, message);
  });

  it('a secret file other users can read is refused with the chmod that fixes it', () => {
    const root = createSandbox('/var/tmp/fleet-mcp-notify-secret-').root;
    const file = join(root, 'secret');
    writeFileSync(file, 'x'.repeat(32), { mode: 0o644 });
    expectRefused(
      { webhook: { url: 'http://127.0.0.1:9/', secret_file: file } },
      {},
      new RegExp(`notify.webhook.secret_file ${file} is open to other users .*chmod go-rwx`),
    );
  });
});
