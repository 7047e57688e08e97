import { oneLine } from './render.js';

/** What a tool says when the sandbox (a read-only bind) or the file system refused it a write. */
const REFUSED_WRITE = /\bEROFS\b|\bEACCES\b|read-only file system|permission denied/i;

/**
 * Tool calls whose failure the run never made up for: a failed call counts until a later call of the same tool
 * succeeds. A run that ends with such a failure did not do what it was asked (a commit that failed), even when the
 * CLI exits 0 with a friendly last word. A refused write counts whatever follows: the agent meant to write there.
 */
export class ToolFailures {
  private readonly open = new Map<string, string>();
  private readonly refused: string[] = [];

  /** `output` is what the failed call printed, where the refusal of a write shows. */
  record(tool: string, failure: string | null, output = ''): void {
    if (failure === null) {
      this.open.delete(tool);
      return;
    }
    this.open.set(tool, failure);
    const refusal = `${output}\n${failure}`.split('\n').find((line) => REFUSED_WRITE.test(line));
    if (refusal !== undefined) this.refused.push(`write refused (${tool}): ${oneLine(refusal)}`);
  }

  /** One line naming every refused write and unrecovered failure, or null when there is none. */
  summary(): string | null {
    const lines = [...new Set([...this.refused, ...this.open.values()])];
    return lines.length > 0 ? lines.join('; ') : null;
  }

  kind(): 'refused' | 'tool' | null {
    if (this.refused.length > 0) return 'refused';
    return this.open.size > 0 ? 'tool' : null;
  }
}
