import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRESS_EVERY_MS } from '../../src/mcp/tools/wait-for-agent.js';
import { stopInProcessServers } from '../helpers/in-process-server.js';
import { cleanupSandboxes } from '../helpers/sandbox.js';
import { expectNoSecretInLogs } from '../helpers/secrets.js';
import { createFleetSandbox, task } from './fleet-server.js';
import { startInProcessFleetServer } from './in-process-fleet.js';

afterAll(async () => {
  await stopInProcessServers();
  expectNoSecretInLogs();
  cleanupSandboxes();
});

/**
 * Twice the progress interval, so a notification late by a busy machine still lands in time, yet far below the
 * agent's run: only progress notifications, each resetting it, keep the call alive.
 */
const REQUEST_TIMEOUT_MS = 2 * PROGRESS_EVERY_MS;
/** Two and a half client timeouts: a call the client would drop after one is kept alive twice over. */
const AGENT_SECONDS = (2.5 * REQUEST_TIMEOUT_MS) / 1000;

describe('a wait longer than the client request timeout, in a session', () => {
  it(
    'waits through progress notifications, hears the log change, and sees the agent list change on create and delete',
    async () => {
      const fleet = createFleetSandbox();
      const { client, ok, call } = await startInProcessFleetServer(fleet);
      const updated: string[] = [];
      let listChanged = 0;
      client.setNotificationHandler(
        ResourceUpdatedNotificationSchema,
        (notification) => void updated.push(notification.params.uri),
      );
      client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
        listChanged += 1;
      });

      await ok('create_agent', {
        name: 'marathon',
        project: 'repo',
        task: task({
          lines: ['starting the long run'],
          ticks: { count: 3, everyMs: 6_000 },
          sleepMs: AGENT_SECONDS * 1000,
        }),
      });
      await expect.poll(() => listChanged).toBe(1);
      await client.subscribeResource({ uri: 'fleet://agents/marathon/log' });

      let deleted = false;
      try {
        const started = Date.now();
        const progress: string[] = [];
        const result = await client.callTool(
          { name: 'wait_for_agent', arguments: { name: 'marathon', timeout_seconds: 2 * AGENT_SECONDS } },
          undefined,
          {
            timeout: REQUEST_TIMEOUT_MS,
            resetTimeoutOnProgress: true,
            onprogress: (event) => void progress.push(event.message ?? ''),
          },
        );
        const waitedMs = Date.now() - started;
        const answer = JSON.parse((result.content as { text: string }[])[0]!.text);
        expect(answer).toMatchObject({
          timed_out: false,
          agent: { status: 'idle', last_task: { status: 'completed' } },
        });
        expect(waitedMs).toBeGreaterThan(2 * REQUEST_TIMEOUT_MS);
        // Each client timeout the wait outlived was reset by a notification.
        expect(progress.length).toBeGreaterThanOrEqual(Math.floor(waitedMs / REQUEST_TIMEOUT_MS));
        expect(progress.some((message) => message.includes('marathon is busy: tick'))).toBe(true);
        // The ticks and the task's end came while the call was waiting, on the same session's stream.
        expect(updated.filter((uri) => uri === 'fleet://agents/marathon/log').length).toBeGreaterThanOrEqual(3);

        await ok('delete_agent', { name: 'marathon' });
        deleted = true;
        await expect.poll(() => listChanged).toBe(2);
      } finally {
        // A failed wait must not leave the agent sleeping on: deleting it cancels its task.
        if (!deleted) await call('delete_agent', { name: 'marathon' });
      }
    },
    (AGENT_SECONDS + 60) * 1000,
  );
});
