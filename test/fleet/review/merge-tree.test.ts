import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeTrees } from '../../../src/fleet/review/merge-tree.js';
import { Sandbox } from './repo.js';

const sandbox = new Sandbox();
const savedPath = process.env.PATH;
afterEach(async () => {
  process.env.PATH = savedPath;
  await sandbox.cleanup();
});

/** A `git` earlier on PATH that is too old for merge-tree --write-tree, answering as git 2.30 did. */
function oldGitOnPath(): void {
  const dir = sandbox.dir('fleet-old-git-');
  const script = join(dir, 'git');
  writeFileSync(
    script,
    '#!/bin/sh\nfor last; do :; done\nif [ "$last" = version ]; then echo "git version 2.30.2"; exit 0; fi\necho "usage: git merge-tree <base-tree> <branch1> <branch2>" >&2\nexit 129\n',
  );
  chmodSync(script, 0o755);
  process.env.PATH = `${dir}:${savedPath ?? ''}`;
}

describe('mergeTrees', () => {
  it('says which git it needs when the installed one is too old', async () => {
    const repo = sandbox.gitRepo();
    oldGitOnPath();
    await expect(mergeTrees(repo, 'HEAD', 'HEAD')).rejects.toThrow(
      'merging needs git 2.38 or newer (for merge-tree --write-tree); this host has git version 2.30.2',
    );
  });

  it('merges with the real git', async () => {
    const repo = sandbox.gitRepo();
    expect(await mergeTrees(repo, 'HEAD', 'HEAD')).toMatchObject({ clean: true });
  });
});
