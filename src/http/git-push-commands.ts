/**
 * The command list at the start of a `git-receive-pack` request (pkt-lines up to a flush), read before git runs so
 * a push is judged by the refs it names; and the report-status answer that refuses one, which git shows per ref as
 * `! [remote rejected] <ref> (<reason>)`.
 */

export interface PushCommand {
  oldId: string;
  newId: string;
  ref: string;
}

export type CommandSection =
  | { kind: 'incomplete' }
  | { kind: 'malformed'; why: string }
  | { kind: 'complete'; commands: PushCommand[]; capabilities: string[] };

const FLUSH = '0000';
const OID = '(?:[0-9a-f]{40}|[0-9a-f]{64})';
const COMMAND = new RegExp(`^(${OID}) (${OID}) ([^\\s\\0]+)$`);
const SHALLOW = new RegExp(`^shallow ${OID}$`);

/** Parses the pkt-lines at the start of `head`; 'incomplete' until the flush that ends the command list arrives. */
export function parseCommandSection(head: Buffer): CommandSection {
  const commands: PushCommand[] = [];
  let capabilities: string[] = [];
  let offset = 0;
  while (offset + 4 <= head.length) {
    const lengthText = head.toString('latin1', offset, offset + 4);
    if (lengthText === FLUSH) return { kind: 'complete', commands, capabilities };
    const length = /^[0-9a-f]{4}$/.test(lengthText) ? parseInt(lengthText, 16) : NaN;
    if (!(length > 4)) return { kind: 'malformed', why: `bad pkt-line length "${lengthText}"` };
    if (offset + length > head.length) return { kind: 'incomplete' };
    let line = head.toString('latin1', offset + 4, offset + length).replace(/\n$/, '');
    offset += length;
    const nul = line.indexOf('\0');
    if (nul !== -1) {
      if (commands.length === 0)
        capabilities = line
          .slice(nul + 1)
          .split(' ')
          .filter(Boolean);
      line = line.slice(0, nul);
    }
    if (SHALLOW.test(line)) continue;
    const match = COMMAND.exec(line);
    if (!match) return { kind: 'malformed', why: 'a push command is not "<old id> <new id> <ref>"' };
    commands.push({ oldId: match[1]!, newId: match[2]!, ref: match[3]! });
  }
  return { kind: 'incomplete' };
}

export function isDelete(command: PushCommand): boolean {
  return /^0+$/.test(command.newId);
}

function pktLine(text: string): Buffer {
  const data = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0'), 'latin1'), data]);
}

const MAX_BAND_DATA = 65515;

/**
 * A report-status answer refusing every command, each with its reason; in side-band 1 when the client asked for
 * side-band(-64k), as git then reads the report there.
 */
export function refusalReport(refusals: { ref: string; reason: string }[], capabilities: string[]): Buffer {
  const report = Buffer.concat([
    pktLine('unpack ok\n'),
    ...refusals.map(({ ref, reason }) => pktLine(`ng ${ref} ${reason}\n`)),
    Buffer.from(FLUSH),
  ]);
  if (!capabilities.includes('side-band-64k') && !capabilities.includes('side-band')) return report;
  const bandSize = capabilities.includes('side-band-64k') ? MAX_BAND_DATA : 995;
  const packets: Buffer[] = [];
  for (let start = 0; start < report.length; start += bandSize) {
    const data = Buffer.concat([Buffer.from([1]), report.subarray(start, start + bandSize)]);
    packets.push(Buffer.from((data.length + 4).toString(16).padStart(4, '0'), 'latin1'), data);
  }
  return Buffer.concat([...packets, Buffer.from(FLUSH)]);
}
