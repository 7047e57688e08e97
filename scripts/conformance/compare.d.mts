// Types of compare.mjs, for the tests that import it.
export interface Check {
  id: string;
  status: string;
  errorMessage?: string;
  description?: string;
}

export interface BaselineEntry {
  reason: string;
  failure: string | string[];
}

export interface Baseline {
  reasons: Record<string, string>;
  expected: Record<string, Record<string, BaselineEntry>>;
}

export interface Row {
  run: string;
  scenario: string;
  checks: number;
  failed: string[];
  excused: { id: string; reason: string }[];
  verdict: 'PASS' | 'EXPECTED' | 'FAIL';
}

export function failingChecks(checks: Check[]): Map<string, string[]>;
export function compare(
  baseline: Baseline,
  results: Map<string, Map<string, Check[]>>,
): { rows: Row[]; problems: string[] };
