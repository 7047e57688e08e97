// `npm test`: the lint and the type check run beside the tests rather than before them, since most of the tests'
// time is spent waiting on the processes they start. Their output is held until the tests end and printed after
// the tests' summary, so it stays readable; the run fails when any of the three fails.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'node_modules', '.bin');

/**
 * Runs a command of node_modules/.bin; resolves with its exit code and, unless `show` lets it print as it goes, its
 * output.
 * @param {string} name
 * @param {string[]} args
 * @param {{ show: boolean }} options
 * @returns {Promise<{ code: number, output: string }>}
 */
function run(name, args, { show }) {
  return new Promise((resolve) => {
    const child = spawn(join(BIN, name), args, {
      stdio: ['ignore', show ? 'inherit' : 'pipe', show ? 'inherit' : 'pipe'],
    });
    let output = '';
    const keep = (/** @type {Buffer} */ chunk) => (output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => resolve({ code: 1, output: `could not start ${name}: ${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

// Piped, they would print without colour where a terminal shows the tests'.
const tty = process.stdout.isTTY === true;
const checks = [
  {
    title: 'lint (biome check --error-on-warnings .)',
    done: run('biome', ['check', '--error-on-warnings', ...(tty ? ['--colors=force'] : []), '.'], { show: false }),
  },
  { title: 'type check (tsc --noEmit)', done: run('tsc', ['--noEmit', ...(tty ? ['--pretty'] : [])], { show: false }) },
];
const tests = await run('vitest', ['run', ...process.argv.slice(2)], { show: true });

let failed = tests.code !== 0;
for (const check of checks) {
  const { code, output } = await check.done;
  process.stdout.write(`\n${code === 0 ? 'passed' : 'FAILED'}: ${check.title}\n`);
  if (code !== 0 || output.trim() !== '') process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  failed ||= code !== 0;
}
process.exitCode = failed ? 1 : 0;
