import { loadConfig } from '../config.js';
import { connectFleet, type FleetClient } from './fleet-client.js';

export interface FleetFlags {
  dataDir?: string;
}

/** Runs `use` against the fleet of the data dir the flags and environment name, then lets go of it. */
export async function withFleet<T>(flags: FleetFlags, use: (fleet: FleetClient) => Promise<T>): Promise<T> {
  const { dataDir } = loadConfig({ env: process.env, cwd: process.cwd(), flags: { dataDir: flags.dataDir } });
  const fleet = await connectFleet(dataDir);
  try {
    return await use(fleet);
  } finally {
    await fleet.close();
  }
}

/** Writes to stdout and waits until it is taken, so a pipe gets all of it before the process exits. */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}
