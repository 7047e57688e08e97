export interface Sample {
  total: number;
  gc: number;
  jit: number;
  seconds: number;
  load: number;
}

export interface InstructionRecord {
  command: string;
  date: string;
  node: string;
  nodeFlags: string[];
  window: { warm: number; measured: number };
  servers: Record<string, Sample[]>;
}

export function recordLoad(record: InstructionRecord): number;
export function compareRecords(
  current: InstructionRecord,
  saved: InstructionRecord,
): { refusal?: string; warnings: string[] };
