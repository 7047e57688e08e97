// Runs the conformance suite's `server` command and reads back what every scenario found, check by check.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The suite writes each scenario to `server-<scenario>-<ISO time with dashes>/checks.json`. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/** Scenario names of `conformance list --server` tagged with `tag` (`extension`, say). */
export async function listScenarios(bin, tag) {
  const { stdout } = await run(process.execPath, [bin, 'list', '--server']);
  return [...stdout.matchAll(/^\s+- (\S+) \[([^\]]*)\]$/gm)]
    .filter((match) => match[2].split(',').includes(tag))
    .map((match) => match[1]);
}

/**
 * Runs the suite with `args` against `url`, results under `outDir`. Resolves with a Map from scenario name to its
 * checks (the suite's own objects). A scenario that threw before recording anything gets one FAILURE check,
 * `scenario-ran`, carrying the suite's message. The suite's exit code is not used: the baseline decides.
 */
export async function runSuite({ bin, url, args, outDir }) {
  let output = '';
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'server', '--url', url, ...args, '-o', outDir], {
      maxBuffer: 64 * 1024 * 1024,
    });
    output = `${stdout}\n${stderr}`;
  } catch (error) {
    if (typeof error.stdout !== 'string') throw error;
    output = `${error.stdout}\n${error.stderr}`;
  }
  const ran = [...output.matchAll(/^Running client scenario '(\S+)' against server/gm)].map((match) => match[1]);
  if (ran.length === 0) throw new Error(`conformance server ${args.join(' ')} ran no scenario:\n${output}`);
  const checks = new Map(ran.map((scenario) => [scenario, null]));
  for (const dir of existsSync(outDir) ? readdirSync(outDir) : []) {
    const scenario = RESULT_DIR.exec(dir)?.[1];
    const file = join(outDir, dir, 'checks.json');
    if (scenario && checks.has(scenario) && existsSync(file))
      checks.set(scenario, JSON.parse(readFileSync(file, 'utf8')));
  }
  for (const [scenario, found] of checks) {
    if (found) continue;
    checks.set(scenario, [{ id: 'scenario-ran', status: 'FAILURE', errorMessage: crashMessage(output, scenario) }]);
  }
  return checks;
}

/** What the suite printed when a scenario threw. */
function crashMessage(output, scenario) {
  const prefix = `Failed to run scenario ${scenario}: `;
  const line = output.split('\n').find((text) => text.startsWith(prefix));
  return line ? line.slice(prefix.length) : 'the suite wrote no checks.json and no error';
}
