import { execFileSync } from 'node:child_process';

// End-to-end tests run the built CLI, exactly what `npx fleet-mcp` runs, so build it once first.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
