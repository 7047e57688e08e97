/**
 * Tool calls whose failure the run never made up for: a failed call counts until a later call of the same tool
 * succeeds. A run that ends with such a failure did not do what it was asked (a refused write, a commit that
 * failed), even when the CLI exits 0 with a friendly last word.
 */
export class ToolFailures {
  private readonly open = new Map<string, string>();

  record(tool: string, failure: string | null): void {
    if (failure === null) this.open.delete(tool);
    else this.open.set(tool, failure);
  }

  /** One line naming every unrecovered failure, or null when there is none. */
  summary(): string | null {
    return this.open.size > 0 ? [...this.open.values()].join('; ') : null;
  }
}
