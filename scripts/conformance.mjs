#!/usr/bin/env node
// npm run conformance [-- --keep]
// The official MCP conformance suite against a real `fleet-mcp serve` on 127.0.0.1, held against
// conformance-baseline.json: every failure must be listed there with its reason and exact message, and every listed
// failure must still fail. Needs Node 22 or later (the suite's own requirement).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compare } from './conformance/compare.mjs';
import { startServer } from './conformance/server.mjs';
import { listScenarios, runSuite } from './conformance/suite.mjs';
import { installCli } from './verify-agents/install.mjs';
import { canIsolate, rerunIsolated } from './verify-agents/isolate.mjs';

// 0.1.x tests the 2025 revisions only; the 0.2.0 line adds the 2026-07-28 scenarios and the tasks extension.
const SUITE = {
  name: 'conformance',
  npmPackage: '@modelcontextprotocol/conformance',
  version: '0.2.0-alpha.12',
  binary: 'conformance',
};
const ROOT = new URL('..', import.meta.url);

const { values } = parseArgs({
  options: {
    keep: { type: 'boolean', default: false },
    // Set by the script itself when it runs again inside a loopback-only network namespace.
    isolated: { type: 'boolean', default: false },
  },
});

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `npm run conformance: the suite needs Node 22 or later, this is ${process.version}; put a Node 22 first on PATH`,
  );
  process.exit(2);
}

// npm needs the network: the suite is installed before the run moves into the loopback-only namespace.
const binDir = await installCli(SUITE).catch((error) => {
  console.error(
    `npm run conformance: npm install ${SUITE.npmPackage}@${SUITE.version} failed: ${error.message.split('\n')[0]}`,
  );
  process.exit(2);
});
if (!values.isolated && canIsolate()) process.exit(rerunIsolated([...process.argv.slice(1), '--isolated']));
console.log(
  values.isolated
    ? 'network: loopback only (own network namespace)'
    : 'network: host (unshare unavailable); the suite targets 127.0.0.1 only',
);
execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });

const bin = join(binDir, SUITE.binary);
const baseline = JSON.parse(readFileSync(new URL('conformance-baseline.json', ROOT), 'utf8'));
const root = mkdtempSync(join(tmpdir(), 'fleet-mcp-conformance-'));
const server = await startServer(root);
const results = new Map();
try {
  // Each revision at its own wire version: the 2025 ones open with initialize, 2026-07-28 is stateless.
  for (const version of ['2025-11-25', '2026-07-28']) {
    const args = ['--suite', 'all', '--spec-version', version];
    results.set(version, await runSuite({ bin, url: server.url, args, outDir: join(root, version) }));
  }
  // Extensions (the tasks extension, skills) have no revision of their own, so --spec-version leaves them out; the
  // whole suite at its default versions includes them, one process where a run per scenario would take ten.
  const extensions = new Set(await listScenarios(bin, 'extension'));
  const everything = await runSuite({
    bin,
    url: server.url,
    args: ['--suite', 'all'],
    outDir: join(root, 'extension'),
  });
  results.set('extension', new Map([...everything].filter(([scenario]) => extensions.has(scenario))));
} finally {
  await server.stop();
}

const { rows, problems } = compare(baseline, results);
for (const row of rows) {
  const reasons = Object.entries(Object.groupBy(row.excused, (entry) => entry.reason)).map(
    ([reason, entries]) => `${entries.length} ${reason}`,
  );
  const excused = reasons.length > 0 ? `, failing as expected: ${reasons.join(', ')}` : '';
  console.log(
    `${row.run} ${row.scenario} ${row.verdict} ${row.checks - row.failed.length}/${row.checks} checks pass${excused}`,
  );
}
const counts = ['PASS', 'EXPECTED', 'FAIL'].map((verdict) => rows.filter((row) => row.verdict === verdict).length);
console.log(
  `${SUITE.npmPackage}@${SUITE.version} against ${server.url}: ${rows.length} scenario runs, ${counts[0]} pass, ${counts[1]} fail as the baseline expects, ${counts[2]} fail otherwise`,
);
for (const problem of problems) console.log(`PROBLEM ${problem}`);
if (values.keep) console.log(`results kept in ${root}`);
else rmSync(root, { recursive: true, force: true });
process.exit(problems.length > 0 ? 1 : 0);
