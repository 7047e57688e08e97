#!/usr/bin/env node
// node scripts/verify-agents/ask-user-question.mjs [--cases a,b] [--out DIR]
// Shows, against the real Claude Code CLI (the version verify:agents pins) and the loopback Anthropic mock, how an
// agent's question to its user (AskUserQuestion) reaches a headless host and how the answer goes back; the
// transcripts (stdin `>` and stdout `<`, line by line) are written to DIR.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES } from './ask/cases.mjs';
import claude from './clis/claude.mjs';
import { cacheRoot, installCli } from './install.mjs';
import { canIsolate, rerunIsolated } from './isolate.mjs';

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    out: { type: 'string' },
    // Set by the script itself when it runs again inside a loopback-only network namespace.
    isolated: { type: 'boolean', default: false },
  },
});

function chosenCases() {
  if (!values.cases) return Object.keys(CASES);
  const wanted = values.cases.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !CASES[name]);
  if (unknown.length > 0) {
    console.error(`--cases: unknown ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
  return wanted;
}

async function main() {
  const names = chosenCases();
  const binDir = await installCli(claude);
  if (!values.isolated) {
    if (!canIsolate()) {
      console.error('cannot make a loopback-only network namespace here (unshare --net); not run');
      process.exit(2);
    }
    const out = values.out ?? mkdtempSync(join(cacheRoot(), 'ask-transcripts-'));
    process.exit(rerunIsolated([process.argv[1], '--isolated', '--out', out, '--cases', names.join(',')]));
  }
  mkdirSync(values.out, { recursive: true });
  const runs = join(cacheRoot(), 'runs');
  mkdirSync(runs, { recursive: true });
  const root = mkdtempSync(join(runs, 'ask-'));
  let failed = false;
  for (const name of names) {
    const outcome = await CASES[name]({ bin: join(binDir, claude.binary), root }).catch((error) => ({
      failures: [error.message.split('\n')[0]],
      transcripts: {},
    }));
    if (outcome.skip) {
      console.log(`${name} SKIP ${outcome.skip}`);
      continue;
    }
    for (const [part, lines] of Object.entries(outcome.transcripts)) {
      writeFileSync(join(values.out, `${name}.${part}.txt`), `${lines.join('\n')}\n`);
    }
    failed ||= outcome.failures.length > 0;
    console.log(`${name} ${outcome.failures.length === 0 ? 'PASS' : `FAIL ${outcome.failures.join('; ')}`}`);
  }
  console.log(`claude ${claude.version}; transcripts in ${values.out}; workspaces in ${root}`);
  process.exit(failed ? 1 : 0);
}

await main();
