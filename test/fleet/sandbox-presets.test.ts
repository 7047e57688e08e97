import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { probeBwrap } from '../../src/fleet/backends/local/sandbox/bwrap.js';
import { probeUserNet } from '../../src/fleet/backends/local/sandbox/user-net.js';
import { resolveRoles } from '../../src/fleet/roles.js';
import { git, logTexts, Sandbox } from './helpers.js';

// The four presets sandboxed by default (as the server runs them where bwrap works), against the fakes, which parse
// arguments like the real CLIs and, like Claude Code, refuse to skip permissions as root outside a declared sandbox.
// The fakes are copied under /var/tmp, wherever this checkout is: the sandbox's /tmp is its own.
const FAKES = fileURLToPath(new URL('../fakes/', import.meta.url));
// Skipped where bwrap or pasta cannot run, except in CI, which installs them (.ci/run) and must prove the sandbox.
const SANDBOX_PROBLEM = probeBwrap(process.env.PATH).problem ?? probeUserNet(process.env.PATH).problem;
// claude's and opencode's fakes follow the prompt as a script; codex's and gemini's always write one file and commit it.
const SCRIPTED = {
  task: "write notes/hello.txt: hello\nrun: git add -A && git commit -q -m 'Add hello'",
  subject: 'Add hello',
};
const FIXED = { task: 'write the file', subject: 'fake agent: write the file' };
const WORK: Record<string, { task: string; subject: string }> = {
  claude: SCRIPTED,
  opencode: SCRIPTED,
  codex: FIXED,
  gemini: FIXED,
};

let sandbox: Sandbox;
let root: string;
beforeEach(() => {
  sandbox = new Sandbox();
  root = mkdtempSync('/var/tmp/fleet-sandbox-presets-');
});
afterEach(async () => {
  await sandbox.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(SANDBOX_PROBLEM !== undefined && !process.env.CI).each(['claude', 'codex', 'gemini', 'opencode'])(
  'the %s preset, sandboxed by default',
  (cli) => {
    test('runs in the sandbox with its sandboxed command and commits on the agent branch', async () => {
      const bin = join(root, 'bin');
      const home = join(root, 'home');
      mkdirSync(bin);
      mkdirSync(home);
      cpSync(FAKES, join(root, 'fakes'), { recursive: true });
      symlinkSync(join(root, 'fakes', `${cli}.mjs`), join(bin, cli));
      // The identity comes from the repository's config, so the CLI's git must see it in the sandbox, under /tmp as it is.
      const repo = sandbox.gitRepo();
      git(repo, ['config', 'user.name', 'Fake Agent']);
      git(repo, ['config', 'user.email', 'agent@test.invalid']);
      const fleet = await sandbox.fleet({
        projects: [{ name: 'project', path: repo, description: '' }],
        roles: resolveRoles(undefined, { pathEnv: bin }),
        baseEnv: { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` },
        sandbox: { presetsByDefault: true },
      });
      await fleet.createAgent({ name: 'worker', project: 'project', role: cli, task: WORK[cli]!.task });
      const { agent } = await fleet.waitForAgent('worker', 20_000);
      expect(agent.last_task).toMatchObject({ status: 'completed', exit_code: 0 });
      expect(await logTexts(fleet, 'worker')).toContain('sandboxed by bwrap, network on, host loopback ports: none');
      expect(git(repo, ['log', '--format=%s', 'main..fleet/worker'])).toBe(WORK[cli]!.subject);
    });
  },
);
