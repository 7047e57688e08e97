import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateFileWriter } from '../../fs/state-file-writer.js';
import type { FleetLogger } from '../logger.js';
import { addUsage, emptyTotals, type TaskUsage, type UsageTotals } from './task-usage.js';

/** What the fleet's tasks used, all together and per project and per token (the `started_by` of each task). */
export interface UsageReport {
  total: UsageTotals;
  by_project: Record<string, UsageTotals>;
  /** Keyed by token name; tasks without one (recorded before tokens were named) under "(unknown)". */
  by_token: Record<string, UsageTotals>;
}

export const UNKNOWN_TOKEN = '(unknown)';

/**
 * Usage totals kept in `usage.json` of the data dir, added to as each task ends. Kept apart from the agent
 * records so deleting an agent does not give its project's budget back.
 */
export class UsageLedger {
  private readonly writer: StateFileWriter;

  private constructor(
    private readonly file: string,
    private report: UsageReport,
    logger: FleetLogger,
  ) {
    // Off the event loop, in order; a failed write is reported and the next task's end writes the totals whole.
    this.writer = new StateFileWriter((failed, error) =>
      logger.error({ file: failed, err: error }, 'could not write the usage totals'),
    );
  }

  static open(dataDir: string, logger: FleetLogger): UsageLedger {
    const file = join(dataDir, 'usage.json');
    return new UsageLedger(file, readReport(file), logger);
  }

  add(usage: TaskUsage, where: { project: string; token: string | null }): void {
    const token = where.token ?? UNKNOWN_TOKEN;
    const { total, by_project, by_token } = this.report;
    this.report = {
      total: addUsage(total, usage),
      by_project: { ...by_project, [where.project]: addUsage(by_project[where.project] ?? emptyTotals(), usage) },
      by_token: { ...by_token, [token]: addUsage(by_token[token] ?? emptyTotals(), usage) },
    };
    void this.writer.write(this.file, `${JSON.stringify(this.report)}\n`);
  }

  /** Resolves once every total asked to be kept has landed. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  project(name: string): UsageTotals {
    return this.report.by_project[name] ?? emptyTotals();
  }

  snapshot(): UsageReport {
    return structuredClone(this.report);
  }
}

/** A file that cannot be read starts the totals again rather than stopping the fleet; budgets then count anew. */
function readReport(file: string): UsageReport {
  const empty = { total: emptyTotals(), by_project: {}, by_token: {} };
  if (!existsSync(file)) return empty;
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<UsageReport>;
    return {
      total: { ...emptyTotals(), ...json.total },
      by_project: json.by_project ?? {},
      by_token: json.by_token ?? {},
    };
  } catch {
    return empty;
  }
}
