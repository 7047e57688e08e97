// Holds the suite's results against the baseline (conformance-baseline.json). A baseline entry names one check of
// one scenario in one run, `<scenario>:<check id>`, with its reason and the exact failure the suite reports; a
// failure elsewhere, a different failure, a listed check that passes and an unknown reason are each a problem.

/** The failures of each failing check of a scenario, by check id; a repeated id fails if any occurrence does. */
export function failingChecks(checks) {
  const failing = new Map();
  for (const check of checks) {
    if (check.status !== 'FAILURE') continue;
    const messages = failing.get(check.id) ?? [];
    const message = check.errorMessage ?? check.description ?? '';
    if (!messages.includes(message)) messages.push(message);
    failing.set(check.id, messages);
  }
  for (const messages of failing.values()) messages.sort();
  return failing;
}

function sameFailures(expected, actual) {
  const wanted = [expected].flat().sort();
  return wanted.length === actual.length && wanted.every((message, index) => message === actual[index]);
}

/**
 * `results`: Map run → Map scenario → checks. Returns one row per scenario run (`failed`: its failing check ids,
 * `excused`: those the baseline expects, as { id, reason }; `verdict`: PASS, EXPECTED when every failure is
 * excused, else FAIL) and the problems, each one line.
 */
export function compare(baseline, results) {
  const rows = [];
  const problems = [];
  const matched = new Set();
  for (const [run, scenarios] of results) {
    const expected = baseline.expected[run] ?? {};
    for (const [scenario, checks] of scenarios) {
      const row = { run, scenario, checks: new Set(checks.map((check) => check.id)).size, failed: [], excused: [] };
      for (const [id, failures] of failingChecks(checks)) {
        const key = `${scenario}:${id}`;
        const entry = expected[key];
        row.failed.push(id);
        if (!entry) {
          problems.push(`${run} ${key}: unexpected failure: ${failures.join(' | ')}`);
          continue;
        }
        matched.add(`${run} ${key}`);
        if (!sameFailures(entry.failure, failures)) {
          problems.push(
            `${run} ${key}: the failure changed; the baseline says ${JSON.stringify(entry.failure)}, the suite now says ${JSON.stringify(failures.length === 1 ? failures[0] : failures)}`,
          );
          continue;
        }
        row.excused.push({ id, reason: entry.reason });
      }
      row.verdict = row.failed.length === 0 ? 'PASS' : row.failed.length === row.excused.length ? 'EXPECTED' : 'FAIL';
      rows.push(row);
    }
  }
  for (const [run, entries] of Object.entries(baseline.expected)) {
    for (const [key, entry] of Object.entries(entries)) {
      if (!(entry.reason in baseline.reasons))
        problems.push(
          `${run} ${key}: unknown reason ${JSON.stringify(entry.reason)}; known: ${Object.keys(baseline.reasons).join(', ')}`,
        );
      if (!matched.has(`${run} ${key}`))
        problems.push(`${run} ${key}: listed in the baseline but did not fail: remove the entry`);
    }
  }
  return { rows, problems };
}
