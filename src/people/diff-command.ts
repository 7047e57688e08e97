import { out, withFleet, type FleetFlags } from './with-fleet.js';

interface Changes {
  diff?: { nextOffset: number | null; parts: { text: string }[] };
}

// show_agent_changes' largest page of diff.
const DIFF_PAGE_BYTES = 1024 * 1024;

/**
 * What show_agent_changes shows (commits, diffstat, the first page of diff), then the rest of the diff page by page
 * with nothing between, so a pager or a file gets it whole.
 */
export async function diffCommand(name: string, flags: FleetFlags): Promise<void> {
  await withFleet(flags, async (fleet) => {
    const first = await fleet.answer<Changes>('show_agent_changes', { name, diff_limit_bytes: DIFF_PAGE_BYTES });
    await out(`${first.text}\n`);
    let offset = first.structured.diff?.nextOffset ?? null;
    while (offset !== null) {
      const changes = await fleet.call<Changes>('show_agent_changes', {
        name,
        diff_offset: offset,
        diff_limit_bytes: DIFF_PAGE_BYTES,
      });
      await out(`${(changes.diff?.parts ?? []).map((part) => part.text).join('\n')}\n`);
      offset = changes.diff?.nextOffset ?? null;
    }
  });
}
