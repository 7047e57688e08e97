import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentBareRepoProblem, makeAgentBareRepo } from '../../src/fleet/backends/remote/agent-bare-repo.js';
import { GitCredentials, loadGitCredentialKey } from '../../src/fleet/backends/remote/git-credentials.js';
import { gitIn, gitTry, PASSWORD_HELPER, startGitEndpoint, type GitEndpoint } from './git-endpoint.js';

let endpoint: GitEndpoint;

beforeAll(async () => {
  endpoint = await startGitEndpoint();
});

afterAll(async () => {
  await endpoint.close();
  expect(existsSync(endpoint.root)).toBe(false);
});

describe("a remote agent's bare repository", () => {
  it("borrows the user's objects without writing them, and shows the agent none of the user's other refs", async () => {
    await gitIn(endpoint.userRepo, ['checkout', '--quiet', '-b', 'private']);
    writeFileSync(join(endpoint.userRepo, 'secret.txt'), 'not for agents\n');
    await gitIn(endpoint.userRepo, ['add', '-A']);
    await gitIn(endpoint.userRepo, ['commit', '--quiet', '-m', 'private']);
    const privateCommit = await gitIn(endpoint.userRepo, ['rev-parse', 'HEAD']);
    await gitIn(endpoint.userRepo, ['checkout', '--quiet', 'main']);
    const userObjects = await gitIn(endpoint.userRepo, ['count-objects', '-v']);

    const url = await endpoint.addAgent('kim');
    const credential = endpoint.credentials.issue({ agent: 'kim', task: 't-kim' });
    const headers = { Authorization: `Basic ${Buffer.from(`fleet:${credential}`).toString('base64')}` };
    for (const service of ['git-upload-pack', 'git-receive-pack']) {
      const advertised = await (await fetch(`${url}/info/refs?service=${service}`, { headers })).text();
      expect(advertised).toContain('refs/heads/fleet/kim');
      expect(advertised).not.toContain(privateCommit);
      expect(advertised).not.toContain('refs/heads/main');
    }
    const clone = join(endpoint.root, 'kim-clone');
    mkdirSync(clone);
    const env = { FLEET_TEST_PASSWORD: credential };
    await gitIn(clone, [...PASSWORD_HELPER, 'clone', '--quiet', url, '.'], env);
    expect(await gitIn(clone, ['branch', '--show-current'])).toBe('fleet/kim');
    const wanted = await gitTry(clone, [...PASSWORD_HELPER, 'fetch', 'origin', privateCommit], env);
    expect(wanted.code).not.toBe(0);
    writeFileSync(join(clone, 'work.txt'), 'work\n');
    await gitIn(clone, ['add', '-A']);
    await gitIn(clone, ['commit', '--quiet', '-m', 'work']);
    await gitIn(clone, [...PASSWORD_HELPER, 'push', '--quiet', 'origin', 'HEAD'], env);
    expect(await gitIn(endpoint.userRepo, ['count-objects', '-v'])).toBe(userObjects);
  });

  it("is found again with the branch as pushed and the server's config set again; anything else at its path is refused", async () => {
    await endpoint.addAgent('lou');
    const path = endpoint.bareRepo('lou');
    const main = await gitIn(endpoint.userRepo, ['rev-parse', 'main']);
    writeFileSync(join(endpoint.userRepo, 'more.txt'), 'more\n');
    await gitIn(endpoint.userRepo, ['add', '-A']);
    await gitIn(endpoint.userRepo, ['commit', '--quiet', '-m', 'more']);
    const later = await gitIn(endpoint.userRepo, ['rev-parse', 'HEAD']);
    await gitIn(path, ['update-ref', 'refs/heads/fleet/lou', later]);
    await gitIn(path, ['config', 'receive.fsckObjects', 'false']);
    const again = await makeAgentBareRepo({
      path,
      branch: 'fleet/lou',
      commit: main,
      sourceGitDir: join(endpoint.userRepo, '.git'),
    });
    expect(again.created).toBe(false);
    expect(await gitIn(path, ['rev-parse', 'refs/heads/fleet/lou'])).toBe(later);
    expect(await gitIn(path, ['config', '--get-all', 'receive.fsckObjects'])).toBe('true');
    expect(await gitIn(path, ['config', '--get-all', 'transfer.hideRefs'])).toBe('refs/\n!refs/heads/fleet/lou');
    expect(await gitIn(path, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/fleet/lou');

    const worktree = join(endpoint.root, 'not-bare');
    mkdirSync(join(worktree, '.git'), { recursive: true });
    writeFileSync(join(worktree, 'file'), 'x');
    expect(agentBareRepoProblem(worktree)).toMatch(
      /is not a remote agent's bare repository .*; move it away or delete the agent/,
    );
    await expect(
      makeAgentBareRepo({
        path: worktree,
        branch: 'fleet/x',
        commit: main,
        sourceGitDir: join(endpoint.userRepo, '.git'),
      }),
    ).rejects.toThrow(/not a remote agent's bare repository/);
  });
});

describe('git credentials', () => {
  it('survive a restart: the same key and task give the same credential, accepted once issued again', () => {
    const keyFile = join(endpoint.root, 'git-credential.key');
    const key = loadGitCredentialKey(keyFile);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(loadGitCredentialKey(keyFile).equals(key)).toBe(true);
    const before = new GitCredentials(key);
    const credential = before.issue({ agent: 'a', task: 't1' });
    expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const restarted = new GitCredentials(loadGitCredentialKey(keyFile));
    expect(restarted.check('a', credential)).toBeNull();
    expect(restarted.issue({ agent: 'a', task: 't1' })).toBe(credential);
    expect(restarted.check('a', credential)).toBe('t1');
    expect(restarted.check('b', credential)).toBeNull();
    expect(restarted.issue({ agent: 'a', task: 't2' })).not.toBe(credential);
    restarted.revoke('t1');
    expect(restarted.check('a', credential)).toBeNull();
    restarted.revokeAgent('a');
    expect(restarted.check('a', restarted.issue({ agent: 'a', task: 't3' }))).toBe('t3');
  });

  it('refuse a key file that holds no key, with the fix', () => {
    const keyFile = join(endpoint.root, 'bad.key');
    writeFileSync(keyFile, 'short');
    expect(() => loadGitCredentialKey(keyFile)).toThrow(
      `${keyFile} holds 5 bytes, not a 32-byte git credential key; remove it so the server makes a new one`,
    );
    expect(readFileSync(keyFile, 'utf8')).toBe('short');
  });
});
