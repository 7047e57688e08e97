import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { writeFileAtomicSync } from '../fs/atomic-file.js';

const usageSchema = z.record(
  z.string(),
  z.strictObject({ last_used_at: z.iso.datetime(), requests: z.number().int().min(0) }),
);
export type TokenUsage = z.infer<typeof usageSchema>;

/** Kept apart from the named tokens file: the server writes usage, while only `fleet-mcp token` writes tokens. */
export function usageFileFor(tokensFile: string): string {
  return join(dirname(tokensFile), 'tokens-usage.json');
}

/** Usage as last written by a server; a missing or unreadable file is no usage (it is statistics, not policy). */
export function readTokenUsage(file: string): TokenUsage {
  try {
    const parsed = usageSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export interface UsageRecorderOptions {
  file: string;
  /** How often counted use is written out; between writes it lives in memory. */
  flushMs?: number;
  onError: (error: Error) => void;
}

interface Counted {
  /** Epoch ms of the last request; turned into the file's ISO text only when written, not per request. */
  lastUsedMs: number;
  /** Requests since the last write. */
  requests: number;
}

/** Counts requests per token name and when each was last used, written out now and then rather than per request. */
export class UsageRecorder {
  private readonly usage: TokenUsage;
  private readonly counted = new Map<string, Counted>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: UsageRecorderOptions) {
    this.usage = readTokenUsage(options.file);
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 30_000);
    this.timer.unref();
  }

  touch(name: string): void {
    const counted = this.counted.get(name);
    if (counted) {
      counted.lastUsedMs = Date.now();
      counted.requests += 1;
    } else {
      this.counted.set(name, { lastUsedMs: Date.now(), requests: 1 });
    }
  }

  flush(): void {
    if (this.counted.size === 0) return;
    for (const [name, counted] of this.counted) {
      const requests = (this.usage[name]?.requests ?? 0) + counted.requests;
      this.usage[name] = { last_used_at: new Date(counted.lastUsedMs).toISOString(), requests };
    }
    this.counted.clear();
    try {
      writeFileAtomicSync(this.options.file, `${JSON.stringify(this.usage, null, 2)}\n`);
    } catch (error) {
      this.options.onError(error as Error);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
