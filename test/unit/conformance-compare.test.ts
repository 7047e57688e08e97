import { describe, expect, it } from 'vitest';
import { compare, type Baseline, type Check } from '../../scripts/conformance/compare.mjs';

const REJECTED = 'Bad Request: Unsupported protocol version: 2026-07-28';

function baseline(expected: Baseline['expected']): Baseline {
  return { reasons: { fixture: '(a)', 'modern-era': '(b)' }, expected };
}

function results(run: string, scenarios: Record<string, Check[]>): Map<string, Map<string, Check[]>> {
  return new Map([[run, new Map(Object.entries(scenarios))]]);
}

const pass = (id: string): Check => ({ id, status: 'SUCCESS' });
const fail = (id: string, errorMessage: string): Check => ({ id, status: 'FAILURE', errorMessage });

describe('the conformance baseline', () => {
  it('accepts a failure listed with its exact message, and passes the rest of the scenario', () => {
    const { rows, problems } = compare(
      baseline({ '2026-07-28': { 'tools-list:tools-list': { reason: 'modern-era', failure: `Failed: ${REJECTED}` } } }),
      results('2026-07-28', {
        'tools-list': [fail('tools-list', `Failed: ${REJECTED}`), pass('wire-schema-valid')],
        ping: [pass('ping')],
      }),
    );
    expect(problems).toEqual([]);
    expect(rows.map((row) => [row.scenario, row.verdict])).toEqual([
      ['tools-list', 'EXPECTED'],
      ['ping', 'PASS'],
    ]);
  });

  it('fails on a failure the baseline does not list, naming the run, scenario, check and message', () => {
    const { rows, problems } = compare(
      baseline({}),
      results('2025-11-25', { ping: [fail('ping', 'Failed: Method not found')] }),
    );
    expect(rows[0]!.verdict).toBe('FAIL');
    expect(problems).toEqual(['2025-11-25 ping:ping: unexpected failure: Failed: Method not found']);
  });

  it('fails when a listed check passes now, so the baseline cannot keep excusing it', () => {
    const { problems } = compare(
      baseline({ '2026-07-28': { 'tools-list:tools-list': { reason: 'modern-era', failure: REJECTED } } }),
      results('2026-07-28', { 'tools-list': [pass('tools-list')] }),
    );
    expect(problems).toEqual([
      '2026-07-28 tools-list:tools-list: listed in the baseline but did not fail: remove the entry',
    ]);
  });

  it('fails when a listed check fails for another reason than the one recorded', () => {
    const { rows, problems } = compare(
      baseline({ '2026-07-28': { 'tools-call-image:tools-call-image': { reason: 'modern-era', failure: REJECTED } } }),
      results('2026-07-28', { 'tools-call-image': [fail('tools-call-image', 'No image content found')] }),
    );
    expect(rows[0]!.verdict).toBe('FAIL');
    expect(problems).toEqual([
      `2026-07-28 tools-call-image:tools-call-image: the failure changed; the baseline says "${REJECTED}", the suite now says "No image content found"`,
    ]);
  });

  it('matches a check id repeated with several messages against the whole set, in any order', () => {
    const checks = [
      fail('error-id', 'Expected error response id 102, got null'),
      fail('error-id', 'Expected error response id 101, got null'),
    ];
    const listed = {
      reason: 'modern-era',
      failure: ['Expected error response id 101, got null', 'Expected error response id 102, got null'],
    };
    expect(compare(baseline({ r: { 's:error-id': listed } }), results('r', { s: checks })).problems).toEqual([]);
    const fewer = { reason: 'modern-era', failure: 'Expected error response id 101, got null' };
    expect(compare(baseline({ r: { 's:error-id': fewer } }), results('r', { s: checks })).problems).toHaveLength(1);
  });

  it('refuses an entry whose reason is not one of the baseline reasons', () => {
    const { problems } = compare(
      baseline({ r: { 's:c': { reason: 'flaky', failure: 'x' } } }),
      results('r', { s: [fail('c', 'x')] }),
    );
    expect(problems).toEqual(['r s:c: unknown reason "flaky"; known: fixture, modern-era']);
  });

  it('counts warnings, skips and notes as passing: only FAILURE fails', () => {
    const checks: Check[] = [
      { id: 'a', status: 'WARNING', errorMessage: 'a SHOULD' },
      { id: 'b', status: 'SKIPPED' },
      { id: 'c', status: 'INFO' },
    ];
    const { rows, problems } = compare(baseline({}), results('r', { s: checks }));
    expect(problems).toEqual([]);
    expect(rows[0]!.verdict).toBe('PASS');
  });
});
