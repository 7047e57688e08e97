// What bench:instructions saves of a run (BENCH_RECORD) and the check before a run is held against a saved one
// (BENCH_COMPARE): counts are only comparable at the same window (warm-up and measured requests) and node flags, and
// a server's count moves with the machine's load (timers, collections and compiles fall differently in the window).

/** Load averages further apart than this (1-minute, median of the samples) make a comparison suspect. */
const LOAD_TOLERANCE = { absolute: 1, relative: 0.25 };

/**
 * @typedef {{ total: number, gc: number, jit: number, seconds: number, load: number }} Sample
 * @typedef {{ command: string, date: string, node: string, nodeFlags: string[], window: { warm: number, measured: number }, servers: Record<string, Sample[]> }} InstructionRecord
 */

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** The median 1-minute load average over a record's samples. */
export function recordLoad(record) {
  const loads = Object.values(record.servers).flatMap((samples) => samples.map((sample) => sample.load));
  return loads.length === 0 ? Number.NaN : median(loads);
}

/**
 * Why two records cannot be compared (a line naming the cause and the fix), or undefined; and warnings for what
 * makes the comparison suspect.
 * @param {InstructionRecord} current
 * @param {InstructionRecord} saved
 * @returns {{ refusal?: string, warnings: string[] }}
 */
export function compareRecords(current, saved) {
  const window = (record) => `${record.window.warm} warm-up + ${record.window.measured} measured requests`;
  if (current.window.warm !== saved.window.warm || current.window.measured !== saved.window.measured)
    return {
      refusal: `the saved run counted ${window(saved)}, this one ${window(current)}: rerun with BENCH_WARM=${saved.window.warm} BENCH_MEASURED=${saved.window.measured}.`,
      warnings: [],
    };
  const flags = (record) => record.nodeFlags.join(' ') || 'none';
  if (flags(current) !== flags(saved))
    return {
      refusal: `the saved run's node flags were ${flags(saved)}, this one's ${flags(current)}: rerun with BENCH_NODE_FLAGS="${saved.nodeFlags.join(' ')}".`,
      warnings: [],
    };
  const warnings = [];
  if (current.node !== saved.node) warnings.push(`Node differs: ${saved.node} saved, ${current.node} now.`);
  const [now, then] = [recordLoad(current), recordLoad(saved)];
  const apart = Math.abs(now - then);
  if (apart > LOAD_TOLERANCE.absolute && apart > LOAD_TOLERANCE.relative * Math.max(now, then))
    warnings.push(
      `load differs: ${then.toFixed(1)} in the saved run, ${now.toFixed(1)} now; counts move with load, so compare builds within one run (BENCH_BASELINE).`,
    );
  return { warnings };
}
