import type { TaskUsage } from '../../usage/task-usage.js';
import type { FailureKind, OutputActivity } from './index.js';

/** The activity of output that tells nothing: no progress, no tool, no provider, no usage, no end. */
export const NO_ACTIVITY: OutputActivity = {
  progress: 0,
  waiting_on_provider: false,
  tool_running: false,
  provider_error: null,
  usage: null,
  finished: false,
};

/** The part of a parser's state that says whether its CLI does real work or only waits on a failing API. */
export class ActivityTracker {
  private progress = 0;
  private readonly openTools = new Set<string>();
  private providerError: string | null = null;
  usage: TaskUsage | null = null;
  finished = false;

  /** `knowsTools`: the CLI's output shows when a tool call starts and ends, so waiting on the API can be told apart. */
  constructor(private readonly knowsTools: boolean) {}

  progressed(): void {
    this.progress += 1;
    this.providerError = null;
  }

  toolStarted(id: string): void {
    this.openTools.add(id);
    this.progressed();
  }

  toolEnded(id: string): void {
    this.openTools.delete(id);
    this.progressed();
  }

  providerFailed(text: string): void {
    this.providerError = text;
  }

  snapshot(): OutputActivity {
    return {
      progress: this.progress,
      waiting_on_provider: this.knowsTools && this.openTools.size === 0,
      tool_running: this.openTools.size > 0,
      provider_error: this.providerError,
      usage: this.usage,
      finished: this.finished,
    };
  }
}

// An error text that names the model API's answer (HTTP status, quota, overload) rather than the agent's own failure.
const PROVIDER_ERROR =
  /\bAPI error\b|\b(401|403|429|500|502|503|529)\b|rate.?limit|quota|overloaded|authenticat|unauthori[sz]ed|Reconnecting|stream (error|disconnected)/i;

/** An error the CLI reported, as the model API's failure or the agent's own. */
export function errorKind(text: string): FailureKind {
  return PROVIDER_ERROR.test(text) ? 'provider' : 'agent';
}
