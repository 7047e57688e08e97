import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cleanupSandboxes, createSandbox, type Sandbox } from '../helpers/sandbox.js';

afterAll(() => cleanupSandboxes());

/** Runs `serve` under `script`, which gives it a pseudo-terminal as stdout, until it says it listens. */
function serveOnTerminal(sandbox: Sandbox): Promise<string> {
  const command = `${process.execPath} ${CLI} serve --port 0`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: sandbox.cwd,
    env: { ...sandbox.env, FLEET_MCP_AUTH_ENABLED: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('fleet-mcp listening')) child.kill('SIGTERM');
    });
    child.once('exit', () => {
      if (output.includes('fleet-mcp listening')) resolve(output);
      else reject(new Error(`exited before listening:\n${output}`));
    });
  });
}

describe('on an interactive terminal', () => {
  it('shows a newly generated token once, and never again on later starts', async () => {
    const sandbox = createSandbox();
    const first = await serveOnTerminal(sandbox);
    const token = JSON.parse(readFileSync(sandbox.tokenFile, 'utf8')).value as string;
    expect(first.split(token).length - 1).toBe(1);
    expect(first).toContain('fleet-mcp token show');
    const second = await serveOnTerminal(sandbox);
    expect(second).not.toContain(token);
  });
});
