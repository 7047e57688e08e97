import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callgrindShares } from '../../scripts/bench/callgrind-shares.mjs';
import { compareRecords } from '../../scripts/bench/instruction-records.mjs';

const record = (load: number, window = { warm: 500, measured: 3000 }, nodeFlags: string[] = []) => ({
  command: 'npm run bench:instructions',
  date: '2026-12-07T00:00:00.000Z',
  node: 'v20.20.2',
  nodeFlags,
  window,
  servers: { on: [{ total: 1e6, gc: 1e5, jit: 2e5, seconds: 100, load }] },
});

describe('comparing instruction counts', () => {
  it('refuses another window, naming the window to rerun with', () => {
    const { refusal } = compareRecords(record(1, { warm: 500, measured: 1000 }), record(1));
    expect(refusal).toContain('BENCH_WARM=500 BENCH_MEASURED=3000');
  });

  it('refuses other node flags', () => {
    expect(compareRecords(record(1, undefined, ['--no-opt']), record(1)).refusal).toContain('BENCH_NODE_FLAGS');
  });

  it('warns at another load, not at a like one', () => {
    expect(compareRecords(record(40), record(6)).warnings.join()).toContain(
      'load differs: 6.0 in the saved run, 40.0 now',
    );
    expect(compareRecords(record(6.5), record(6)).warnings).toEqual([]);
  });
});

describe('the collector and compiler shares of a callgrind file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callgrind-shares-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts each call into collector or compiler work once, and every instruction in the total', async () => {
    const file = join(dir, 'callgrind.out');
    // main spends 100 itself, calls a collection (inclusive 50, of which 30 in a marking step it calls, counted inside
    // it already) and a compile job (20); a helper thread's marking job costs 7.
    writeFileSync(
      file,
      [
        'events: Ir',
        'fn=(1) main',
        '1 100',
        'cfn=(2) v8::internal::Heap::CollectGarbage(v8::internal::AllocationSpace)',
        'calls=1 1',
        '2 50',
        'cfn=(3) v8::internal::OptimizedCompilationJob::ExecuteJob(v8::internal::RuntimeCallStats*)',
        'calls=1 1',
        '3 20',
        'fn=(2)',
        '1 20',
        'cfn=(4) v8::internal::IncrementalMarking::Step(double)',
        'calls=1 1',
        '2 30',
        'fn=(4)',
        '1 30',
        'fn=(3)',
        '1 20',
        'fn=(5) start_thread',
        'cfn=(6) v8::internal::ConcurrentMarking::JobTaskMajor::Run(v8::JobDelegate*)',
        'calls=1 1',
        '1 7',
        'fn=(6)',
        '1 7',
        '',
      ].join('\n'),
    );
    expect(await callgrindShares(file)).toEqual({ total: 177, gc: 57, jit: 20 });
  });
});
