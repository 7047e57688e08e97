import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, task } from './helpers.js';

const sandbox = new Sandbox();
afterEach(() => sandbox.cleanup());

describe('a role timeout', () => {
  it('of 24d, the longest, lets a task run instead of ending it at once', async () => {
    const roles = sandbox.rolesConfig();
    const fleet = await sandbox.fleet({ rolesConfig: { test: { ...roles.test, timeout: '24d' } } });
    await fleet.createAgent({ name: 'patient', project: 'plain', task: task({ sleepMs: 300 }) });
    const { agent } = await fleet.waitForAgent('patient', 20_000);
    expect(agent.last_task).toMatchObject({ status: 'completed', reason: null });
  });
});
