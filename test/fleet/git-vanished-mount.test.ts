import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, type GitPlace } from '../../src/fleet/review/git.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** bwrap's line when a mount of the host goes away while it lays out the sandbox, as bwrap 0.8 prints it. */
const VANISHED =
  'bwrap: Can\'t bind mount /oldroot/ on /newroot/: Unable to apply mount flags: remount "/newroot/var/lib/containers/storage/overlay/0a1b/merged": No such file or directory';

/**
 * Runs git as the sandbox would, through a wrapper that fails as bwrap does for its first `failures` runs (counted in
 * a file), printing bwrap's line and nothing on stdout.
 */
function flakyPlace(dir: string, failures: number, line = VANISHED): GitPlace {
  const count = join(dir, 'runs');
  const script = `n=$(cat "${count}" 2>/dev/null || echo 0); echo $((n + 1)) > "${count}"
if [ "$n" -lt ${failures} ]; then printf '%s\\n' "$FAKE_BWRAP_LINE" >&2; exit 1; fi
exec "$@"`;
  return (argv, env) => ({ argv: ['sh', '-c', script, 'bwrap', ...argv], env: { ...env, FAKE_BWRAP_LINE: line } });
}

function repo(): string {
  const dir = mkdtempSync('/var/tmp/fleet-git-mount-');
  dirs.push(dir);
  execFileSync('git', ['init', '-q', '-b', 'main', join(dir, 'repo')]);
  return dir;
}

describe('git in a sandbox whose layout meets a vanishing mount', () => {
  it('runs git again when bwrap could not lay out the sandbox because a mount went away, and only then', async () => {
    const dir = repo();
    expect(await git(join(dir, 'repo'), ['rev-parse', '--git-dir'], { place: flakyPlace(dir, 2) })).toBe('.git');
    expect(execFileSync('cat', [join(dir, 'runs')], { encoding: 'utf8' }).trim()).toBe('3');
  });

  it("gives up after three tries, with bwrap's own words", async () => {
    const dir = repo();
    await expect(git(join(dir, 'repo'), ['rev-parse', '--git-dir'], { place: flakyPlace(dir, 3) })).rejects.toThrow(
      `git rev-parse --git-dir failed: ${VANISHED}`,
    );
  });

  it('does not run again for any other failure of bwrap', async () => {
    const dir = repo();
    const other = 'bwrap: Creating new namespace failed: Operation not permitted';
    await expect(
      git(join(dir, 'repo'), ['rev-parse', '--git-dir'], { place: flakyPlace(dir, 1, other) }),
    ).rejects.toThrow(other);
    expect(execFileSync('cat', [join(dir, 'runs')], { encoding: 'utf8' }).trim()).toBe('1');
  });
});
