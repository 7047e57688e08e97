#!/usr/bin/env node
// npm run verify:agents [-- --only claude,opencode,mcp-remote] [--scenarios api-500,api-hang] [--keep]
// Proves the built-in presets against the real agent CLIs, and what real MCP clients show when refused a token: see
// scripts/verify-agents/README.md.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AUTH_CASES, verifyAuthAnswers } from './verify-agents/auth-answers.mjs';
import { installCli } from './verify-agents/install.mjs';
import { canIsolate, rerunIsolated } from './verify-agents/isolate.mjs';
import { runScenario } from './verify-agents/fleet.mjs';
import { askingApplies } from './verify-agents/offered-tools.mjs';
import { SCENARIOS, Skip } from './verify-agents/scenarios.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    scenarios: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Set by the script itself when it runs again inside a loopback-only network namespace.
    isolated: { type: 'boolean', default: false },
  },
});

async function loadModules(folder) {
  const dir = new URL(`./verify-agents/${folder}/`, import.meta.url);
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.mjs'))
    .sort();
  return Promise.all(files.map(async (file) => (await import(new URL(file, dir))).default));
}

/** The agent CLIs (clis/) and then the MCP clients (clients/), each a check of its own. */
async function loadClis() {
  const clis = [...(await loadModules('clis')), ...(await loadModules('clients'))];
  if (!values.only) return clis;
  const wanted = values.only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = wanted.filter((name) => !clis.some((cli) => cli.name === name));
  if (unknown.length > 0) {
    console.error(`--only: unknown CLI ${unknown.join(', ')}; known: ${clis.map((cli) => cli.name).join(', ')}`);
    process.exit(2);
  }
  return clis.filter((cli) => wanted.includes(cli.name));
}

/** npm needs the network: every CLI is installed before the checks move into the loopback-only namespace. */
async function install(clis) {
  const installed = new Map();
  for (const cli of clis) {
    const pkg = cli.installs ?? cli;
    try {
      installed.set(cli.name, { binDir: await installCli(pkg) });
    } catch (error) {
      installed.set(cli.name, {
        error: `npm install ${pkg.npmPackage}@${pkg.version} failed: ${error.message.split('\n')[0]}`,
      });
    }
  }
  return installed;
}

async function verifyClient(client, installed) {
  if (installed.error) return { status: 'FAIL', reason: installed.error };
  try {
    const failures = await verifyAuthAnswers({ client, binDir: installed.binDir, keep: values.keep });
    return failures.length === 0
      ? { status: 'PASS', reason: AUTH_CASES.map((authCase) => authCase.id).join(', ') }
      : { status: 'FAIL', reason: failures.join('; ') };
  } catch (error) {
    return { status: 'FAIL', reason: error.message.split('\n')[0] };
  }
}

async function verify(cli, installed) {
  if (cli.connect) return verifyClient(cli, installed);
  if (installed.error) return { status: 'FAIL', reason: installed.error };
  const failures = [];
  // A scenario about a CLI's asking tool runs for the CLIs whose module declares one answered that way.
  const scenarios = chosenScenarios().filter((scenario) => askingApplies(scenario, cli));
  if (scenarios.length === 0) return { status: 'SKIP', reason: 'none of the chosen scenarios applies to it' };
  for (const scenario of scenarios) {
    try {
      const result = await runScenario({ cli, binDir: installed.binDir, scenario, keep: values.keep });
      failures.push(...result.failures);
      if (result.failures.length > 0) {
        process.stderr.write(
          `--- ${cli.name} ${scenario.id}: agent log\n${result.context.log.map((line) => line.slice(0, 300)).join('\n')}\n`,
        );
      }
    } catch (error) {
      if (error instanceof Skip) return { status: 'SKIP', reason: error.message };
      failures.push(`${scenario.id}: ${error.message.split('\n')[0]}`);
    }
  }
  return failures.length === 0
    ? { status: 'PASS', reason: scenarios.map((scenario) => scenario.id).join(', ') }
    : { status: 'FAIL', reason: failures.join('; ') };
}

/** The scenarios --scenarios names, in their own order; all of them without it. */
function chosenScenarios() {
  if (!values.scenarios) return SCENARIOS;
  const wanted = values.scenarios.split(',').map((id) => id.trim());
  const unknown = wanted.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id));
  if (unknown.length > 0) {
    console.error(`--scenarios: unknown ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    process.exit(2);
  }
  return SCENARIOS.filter((scenario) => wanted.includes(scenario.id));
}

chosenScenarios();
const clis = await loadClis();
const installed = await install(clis);
if (!values.isolated && canIsolate()) process.exit(rerunIsolated([...process.argv.slice(1), '--isolated']));
console.log(
  values.isolated
    ? 'network: loopback only (own network namespace)'
    : 'network: host (unshare unavailable), CLIs pointed at the mocks',
);
execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: new URL('..', import.meta.url), stdio: 'inherit' });
// Two checks at a time: each mostly waits on a CLI and its mock provider, and one after the other the eighteen
// scenarios of four CLIs took over 20 minutes. Results are printed in the checks' order.
const CONCURRENT_CHECKS = 2;
const results = new Array(clis.length);
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENT_CHECKS }, async () => {
    while (next < clis.length) {
      const index = next++;
      results[index] = await verify(clis[index], installed.get(clis[index].name));
    }
  }),
);
let failed = false;
for (const [index, cli] of clis.entries()) {
  const { status, reason } = results[index];
  if (status === 'FAIL') failed = true;
  console.log(`${cli.name} ${(cli.installs ?? cli).version} ${status} ${reason}`);
}
process.exit(failed ? 1 : 0);
