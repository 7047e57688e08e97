import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Most tests wait on spawned servers, agents and timers rather than on the CPU: with four files at a time a quiet
    // 2-core machine stood idle for a quarter of the run; twelve are no faster than eight, as each worker imports the
    // sources once more.
    maxWorkers: 8,
    // As many as maxWorkers: with fewer, vitest 3.2 ends a run of unisolated workers with "Terminating worker thread"
    // and exit code 1 although every test passed.
    minWorkers: 8,
    // A worker imports the sources once for all its files: importing them afresh for each file cost more CPU than
    // most unit tests themselves. No test mocks modules or stubs globals, and each restores the environment it sets.
    isolate: false,
    // A ceiling for a test that hangs, not a measure of speed: on a 2-core machine kept busy by other work, tests
    // that start servers, agents and git take several times as long as on a quiet one.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The same for expect.poll: its default of 1 s is short of what a loaded machine may take for a server to take in
    // a file it watches, or for a killed process to be reaped.
    expect: { poll: { timeout: 30_000 } },
  },
});
