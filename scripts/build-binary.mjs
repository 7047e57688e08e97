// npm run build:binary: dist/fleet-mcp, one executable with Node and the CLI inside, using Node's single
// executable application support: bundle to CommonJS, have this Node write the blob, inject it with postject.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'postject';
import { bundleCliSingleFile } from './bundle.mjs';

const WORK = 'dist/sea';
const OUTPUT = 'dist/fleet-mcp';
/** The marker Node's official builds carry for the injected blob; postject flips it when it injects. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Exit code 3 tells callers (the SEA test) that this Node cannot become a single executable at all. */
function requireSeaCapableNode() {
  if (process.platform !== 'linux') {
    process.stderr.write(`build:binary: only Linux is set up here (this is ${process.platform})\n`);
    process.exit(3);
  }
  if (!readFileSync(process.execPath).includes(SEA_FUSE)) {
    process.stderr.write(
      `build:binary: ${process.execPath} has no SEA fuse (a distribution build with a shared libnode?); use an official Node build\n`,
    );
    process.exit(3);
  }
}

async function main() {
  requireSeaCapableNode();
  mkdirSync(WORK, { recursive: true });
  // Node 20's single executable can only start a CommonJS script.
  await bundleCliSingleFile({ outfile: join(WORK, 'fleet-mcp.cjs') });
  const config = join(WORK, 'sea-config.json');
  const blob = join(WORK, 'sea-prep.blob');
  writeFileSync(
    config,
    JSON.stringify({
      main: join(WORK, 'fleet-mcp.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(process.execPath, OUTPUT);
  chmodSync(OUTPUT, 0o755);
  await inject(OUTPUT, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  process.stdout.write(`${OUTPUT}: fleet-mcp with Node ${process.version} inside\n`);
}

await main();
