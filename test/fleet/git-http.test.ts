import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdaptorServer } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { fetchAgentBranch } from '../../src/fleet/repo/fetch-branch.js';
import { createApp } from '../../src/http/app.js';
import { defaultAllowedHosts } from '../../src/http/host-guard.js';
import { get as httpGet } from 'node:http';
import { gitIn, gitTry, PASSWORD_HELPER, startGitEndpoint, type GitEndpoint } from './git-endpoint.js';

let endpoint: GitEndpoint;
const issued: string[] = [];

beforeAll(async () => {
  endpoint = await startGitEndpoint({ maxPushBytes: 256 * 1024, maxFetchRequestBytes: 1024 * 1024 });
});

afterAll(async () => {
  await endpoint.close();
  expect(existsSync(endpoint.root)).toBe(false);
  for (const credential of issued) expect(endpoint.log.join('\n')).not.toContain(credential);
});

function issue(agent: string, task: string): string {
  const credential = endpoint.credentials.issue({ agent, task });
  issued.push(credential);
  return credential;
}

/** A clone of the agent's branch made with `credential`, with one new commit on it. */
async function cloneWithCommit(
  agent: string,
  credential: string,
): Promise<{ dir: string; env: Record<string, string> }> {
  const url = await endpoint.addAgent(agent);
  const dir = mkdtempSync(join(endpoint.root, `clone-${agent}-`));
  const env = { FLEET_TEST_PASSWORD: credential };
  await gitIn(dir, [...PASSWORD_HELPER, 'clone', '--quiet', '--branch', `fleet/${agent}`, url, '.'], env);
  writeFileSync(join(dir, 'work.txt'), `work of ${agent}\n`);
  await gitIn(dir, ['add', '-A']);
  await gitIn(dir, ['commit', '--quiet', '-m', 'work']);
  return { dir, env };
}

async function refsOf(repo: string): Promise<string> {
  return gitIn(repo, ['for-each-ref', '--format=%(refname) %(objectname)']);
}

function pkt(text: string): string {
  return `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`;
}

function basic(credential: string): string {
  return `Basic ${Buffer.from(`fleet:${credential}`).toString('base64')}`;
}

async function rawPush(agent: string, credential: string, commands: string[]): Promise<Response> {
  const lines = commands.map((command, index) =>
    pkt(index === 0 ? `${command}\0report-status side-band-64k\n` : `${command}\n`),
  );
  const text = `${lines.join('')}0000`;
  return fetch(`${endpoint.base}/${agent}/git-receive-pack`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-git-receive-pack-request', Authorization: basic(credential) },
    body: text,
  });
}

/** A GET with headers fetch would not send as given (Host). */
function request(options: {
  port: number;
  path: string;
  headers?: Record<string, string>;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: options.port, path: options.path, headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('git smart HTTP for remote agents', () => {
  it('serves a clone to the task credential, takes a push of the own branch, and fetchAgentBranch brings it home', async () => {
    const { dir, env } = await cloneWithCommit('ann', issue('ann', 'task-ann'));
    const pushed = await gitTry(dir, [...PASSWORD_HELPER, 'push', 'origin', 'HEAD:refs/heads/fleet/ann'], env);
    expect(pushed.code, pushed.output).toBe(0);
    const head = await gitIn(dir, ['rev-parse', 'HEAD']);
    const fetched = await fetchAgentBranch({
      repoRoot: endpoint.userRepo,
      agentName: 'ann',
      agentRepo: endpoint.bareRepo('ann'),
      branch: 'fleet/ann',
    });
    expect(fetched).toBe(head);
    expect(await gitIn(endpoint.userRepo, ['show', `${head}:work.txt`])).toBe('work of ann');
  });

  it("refuses a push to main, a tag, another agent's branch or a delete of its own with one clear line, changing nothing", async () => {
    await endpoint.addAgent('other');
    const { dir, env } = await cloneWithCommit('bob', issue('bob', 'task-bob'));
    await gitIn(dir, ['tag', 'v1']);
    const before = await refsOf(endpoint.bareRepo('bob'));
    const attempts: [string[], string][] = [
      [['HEAD:refs/heads/main'], 'HEAD -> main (fleet-mcp: agent "bob" may push only refs/heads/fleet/bob)'],
      [['v1'], 'v1 -> v1 (fleet-mcp: agent "bob" may push only refs/heads/fleet/bob)'],
      [
        ['HEAD:refs/heads/fleet/other'],
        'HEAD -> fleet/other (fleet-mcp: agent "bob" may push only refs/heads/fleet/bob)',
      ],
      [[':refs/heads/fleet/bob'], 'fleet/bob (fleet-mcp: agent "bob" may not delete refs/heads/fleet/bob)'],
      [
        ['HEAD:refs/heads/fleet/bob', 'HEAD:refs/heads/main'],
        'HEAD -> fleet/bob (fleet-mcp: not pushed, as this push names refs the agent may not change)',
      ],
    ];
    for (const [refspecs, line] of attempts) {
      const pushed = await gitTry(dir, [...PASSWORD_HELPER, 'push', 'origin', ...refspecs], env);
      expect(pushed.code, pushed.output).not.toBe(0);
      expect(pushed.output).toContain(line);
    }
    expect(await refsOf(endpoint.bareRepo('bob'))).toBe(before);
    expect(await refsOf(endpoint.bareRepo('other'))).toContain('refs/heads/fleet/other');
  });

  it('refuses crafted pushes a git client would not send: a climbing ref, HEAD, a ref that only starts with its own', async () => {
    const credential = issue('cy', 'task-cy');
    await endpoint.addAgent('cy');
    const before = await refsOf(endpoint.bareRepo('cy'));
    const id = before.split(' ')[1]!;
    for (const ref of [
      'refs/heads/fleet/cy/../../main',
      'HEAD',
      'refs/heads/fleet/cy/x',
      'refs/heads/fleet/cyan',
      'refs/heads/fleet//cy',
    ]) {
      const answer = await rawPush('cy', credential, [`${'0'.repeat(40)} ${id} ${ref}`]);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain(`ng ${ref} fleet-mcp: agent "cy" may push only refs/heads/fleet/cy`);
    }
    const garbage = await rawPush('cy', credential, ['push-cert', `${id} ${id} refs/heads/fleet/cy`]);
    expect(garbage.status).toBe(400);
    expect(await refsOf(endpoint.bareRepo('cy'))).toBe(before);
  });

  it("answers 401 with a Basic challenge to no, a wrong, another agent's, a revoked or an ended task's credential", async () => {
    const dee = issue('dee', 'task-dee');
    const eve = issue('eve', 'task-eve');
    await endpoint.addAgent('dee');
    const ended = issue('dee', 'task-dee-ended');
    endpoint.credentials.revoke('task-dee-ended');
    const url = `${endpoint.base}/dee/info/refs?service=git-upload-pack`;
    for (const authorization of [undefined, basic('wrong'), basic(eve), basic(ended), `Bearer ${dee}`]) {
      const answer = await fetch(url, { headers: authorization ? { Authorization: authorization } : {} });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect(await answer.text()).not.toContain('refs/heads');
    }
    expect((await fetch(url, { headers: { Authorization: basic(dee) } })).status).toBe(200);
    endpoint.credentials.revokeAgent('dee');
    const clone = await gitTry(
      endpoint.root,
      [...PASSWORD_HELPER, 'clone', '--quiet', `${endpoint.base}/dee`, 'dee-clone'],
      { FLEET_TEST_PASSWORD: dee },
    );
    expect(clone.code).not.toBe(0);
    expect(clone.output).toContain('Authentication failed');
    // Four wrong credentials, one line; git's usual first ask without one, none.
    expect(
      endpoint.log.filter((line) => line.includes('git authentication failed') && line.includes('"agent":"dee"')),
    ).toHaveLength(1);
  });

  it('refuses a push whose objects fail fsck: a tree with a .git entry, a tree with a bad mode', async () => {
    const { dir, env } = await cloneWithCommit('fay', issue('fay', 'task-fay'));
    const before = await refsOf(endpoint.bareRepo('fay'));
    const blob = await gitIn(dir, ['rev-parse', 'HEAD:work.txt']);
    const trees = [
      Buffer.concat([Buffer.from('100644 .git\0'), Buffer.from(blob, 'hex')]),
      Buffer.concat([Buffer.from('100777 run\0'), Buffer.from(blob, 'hex')]),
    ];
    for (const tree of trees) {
      const treeFile = join(dir, '..', `tree-${randomBytes(4).toString('hex')}`);
      writeFileSync(treeFile, tree);
      const treeId = await gitIn(dir, ['hash-object', '-t', 'tree', '--literally', '-w', treeFile]);
      const commit = await gitIn(dir, ['commit-tree', '-p', 'HEAD', '-m', 'bad tree', treeId]);
      const pushed = await gitTry(dir, [...PASSWORD_HELPER, 'push', 'origin', `${commit}:refs/heads/fleet/fay`], env);
      expect(pushed.code, pushed.output).not.toBe(0);
      expect(pushed.output).toMatch(/fsck|unpacker error/);
    }
    expect(await refsOf(endpoint.bareRepo('fay'))).toBe(before);
  });

  it("refuses a push over the size limit with git's own line, changing nothing", async () => {
    const { dir, env } = await cloneWithCommit('gus', issue('gus', 'task-gus'));
    const before = await refsOf(endpoint.bareRepo('gus'));
    // Over git's limit (256 KiB here), under what the endpoint reads to its end after git stopped (twice that); sent
    // in chunks, as git sends a pack over its http.postBuffer, so no Content-Length gets it refused up front.
    writeFileSync(join(dir, 'big.bin'), randomBytes(384 * 1024));
    await gitIn(dir, ['add', '-A']);
    await gitIn(dir, ['commit', '--quiet', '-m', 'big']);
    const pushed = await gitTry(
      dir,
      [...PASSWORD_HELPER, '-c', 'http.postBuffer=65536', 'push', 'origin', 'HEAD:refs/heads/fleet/gus'],
      env,
    );
    expect(pushed.code, pushed.output).not.toBe(0);
    expect(pushed.output).toContain('pack exceeds maximum allowed size');
    expect(await refsOf(endpoint.bareRepo('gus'))).toBe(before);
  });

  it('cuts a gzipped fetch request that inflates past its limit, and git with it', async () => {
    const credential = issue('ida', 'task-ida');
    await endpoint.addAgent('ida');
    const id = (await refsOf(endpoint.bareRepo('ida'))).split(' ')[1]!;
    const have = pkt(`have ${id}\n`);
    const bomb = gzipSync(Buffer.concat([Buffer.from(`${pkt(`want ${id}\n`)}0000`), Buffer.from(have.repeat(40_000))]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await fetch(`${endpoint.base}/ida/git-upload-pack`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
        Authorization: basic(credential),
      },
      body: new Uint8Array(bomb),
    });
    await answer.arrayBuffer().catch(() => undefined);
    await expect
      .poll(() =>
        endpoint.log.filter((line) => line.includes('git service failed') && line.includes('"agent":"ida"')).join(''),
      )
      .toContain('SIGKILL');
  });

  it('serves a fetch whose request is gzipped, as git sends large negotiations', async () => {
    const credential = issue('hal', 'task-hal');
    await endpoint.addAgent('hal');
    const id = (await refsOf(endpoint.bareRepo('hal'))).split(' ')[1]!;
    const request = gzipSync(Buffer.from(`${pkt(`want ${id} ofs-delta\n`)}0000${pkt('done\n')}`));
    const answer = await fetch(`${endpoint.base}/hal/git-upload-pack`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-git-upload-pack-request',
        'Content-Encoding': 'gzip',
        Authorization: basic(credential),
      },
      body: new Uint8Array(request),
    });
    expect(answer.status).toBe(200);
    const body = Buffer.from(await answer.arrayBuffer()).toString('latin1');
    expect(body).toContain('NAK');
    expect(body).toContain('PACK');
  });

  it("mounted in the server's app: git answers its credential without a server token, behind the Host guard", async () => {
    const credential = issue('jon', 'task-jon');
    await endpoint.addAgent('jon');
    const app = createApp({
      guard: { allowedHosts: defaultAllowedHosts('127.0.0.1', []), allowedOrigins: new Set() },
      authenticate: () => ({ ok: false, reason: 'unknown' }),
      mcp: async (c) => c.text('mcp'),
      git: endpoint.gitApp,
      logger: pino({ level: 'silent' }),
    });
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const refs = `/git/jon/info/refs?service=git-upload-pack`;
      const served = await request({ port, path: refs, headers: { Authorization: basic(credential) } });
      expect(served.status).toBe(200);
      expect(served.body).toContain('refs/heads/fleet/jon');
      expect((await request({ port, path: refs })).status).toBe(401);
      expect(
        (await request({ port, path: refs, headers: { Authorization: basic(credential), Host: 'evil.example' } }))
          .status,
      ).toBe(403);
      expect((await request({ port, path: '/mcp', headers: { Authorization: basic(credential) } })).status).toBe(401);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
