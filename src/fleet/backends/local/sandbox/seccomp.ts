import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeTempFile } from '../../../../fs/atomic-file.js';

export interface FilterOptions {
  /** Node's name of the CPU (process.arch). */
  arch: string;
  /** The role may create unix sockets: then only io_uring and the other ABIs are denied. */
  unixSockets: boolean;
}

interface ArchSyscalls {
  /** AUDIT_ARCH_* of linux/audit.h: what seccomp_data.arch holds for this ABI. */
  audit: number;
  socket: number;
  socketpair: number;
  /** x86_64 runs x32 syscalls under its own audit arch, told apart by this bit of the number. */
  x32Bit?: number;
}

const ARCHES: Record<string, ArchSyscalls> = {
  x64: { audit: 0xc000003e, socket: 41, socketpair: 53, x32Bit: 0x40000000 },
  arm64: { audit: 0xc00000b7, socket: 198, socketpair: 199 },
};

/** io_uring_setup, io_uring_enter, io_uring_register: the same numbers on both arches. */
const IO_URING = [425, 426, 427];
const AF_UNIX = 1;
const SOCK_TYPE_MASK = 0xf;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
const EACCES = 13;
const EPERM = 1;

// Return values of linux/seccomp.h, and the classic BPF opcodes of linux/filter.h that the program uses.
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const retErrno = (errno: number): number => 0x00050000 | errno;

const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JMP_JEQ_K = 0x15;
const JMP_JGE_K = 0x35;
const RET_K = 0x06;

const OFFSET = { nr: 0, arch: 4, arg0: 16, arg1: 24 };

/** One instruction; a jump names its targets by label, null for the next instruction. */
type Instruction =
  | { op: number; k: number }
  | { op: number; k: number; yes: string | null; no: string | null }
  | { label: string };

/**
 * The seccomp filter bwrap loads for every sandboxed task, as a classic BPF program over `struct seccomp_data` (nr at
 * 0, arch at 4, args[i] at 16 + 8i, low half first on these little-endian arches). Unix sockets reach past the
 * read-only view of the host: connect() works on a read-only bind mount, so any socket the host shows (docker.sock, an
 * ssh-agent, dbus) would take the agent's orders; a fleet's fleet.sock refuses clients of another network namespace
 * (client-namespace.ts), the sandbox's included. So socket(AF_UNIX) fails with EACCES, and so does a
 * socketpair(AF_UNIX) of a datagram type, whose sendto() reaches a datagram socket by path; stream and seqpacket pairs
 * stay (Node and libuv use them for child stdio) as they connect nowhere else. io_uring fails with EPERM, as it can
 * make sockets without the socket() syscall. A syscall of another ABI (i386 or x32 on x86_64, arm32 on aarch64) kills
 * the process, as its numbers are not the ones matched here.
 *
 * Returned as the kernel reads it (an array of struct sock_filter), or null on a CPU it does not know.
 */
export function seccompFilter(options: FilterOptions): Buffer | null {
  const arch = ARCHES[options.arch];
  if (!arch) return null;
  return assemble(program(arch, options.unixSockets));
}

function program(arch: ArchSyscalls, unixSockets: boolean): Instruction[] {
  const jump = (op: number, k: number, yes: string | null, no: string | null): Instruction => ({ op, k, yes, no });
  const load = (offset: number): Instruction => ({ op: LD_W_ABS, k: offset });
  const ret = (k: number): Instruction => ({ op: RET_K, k });
  const sockets: Instruction[] = unixSockets
    ? []
    : [
        jump(JMP_JEQ_K, arch.socket, 'socket', null),
        jump(JMP_JEQ_K, arch.socketpair, 'socketpair', 'allow'),
        { label: 'socket' },
        // The kernel reads the domain as an int: the low half of the argument is all it sees.
        load(OFFSET.arg0),
        jump(JMP_JEQ_K, AF_UNIX, 'deny-socket', 'allow'),
        { label: 'socketpair' },
        load(OFFSET.arg0),
        jump(JMP_JEQ_K, AF_UNIX, null, 'allow'),
        load(OFFSET.arg1),
        { op: ALU_AND_K, k: SOCK_TYPE_MASK },
        jump(JMP_JEQ_K, SOCK_STREAM, 'allow', null),
        jump(JMP_JEQ_K, SOCK_SEQPACKET, 'allow', 'deny-socket'),
      ];
  return [
    load(OFFSET.arch),
    jump(JMP_JEQ_K, arch.audit, null, 'kill'),
    load(OFFSET.nr),
    ...(arch.x32Bit ? [jump(JMP_JGE_K, arch.x32Bit, 'kill', null)] : []),
    ...IO_URING.map((nr) => jump(JMP_JEQ_K, nr, 'deny-io-uring', null)),
    ...sockets,
    { label: 'allow' },
    ret(RET_ALLOW),
    { label: 'deny-socket' },
    ret(retErrno(EACCES)),
    { label: 'deny-io-uring' },
    ret(retErrno(EPERM)),
    { label: 'kill' },
    ret(RET_KILL_PROCESS),
  ];
}

/** Lays the instructions out as struct sock_filter { u16 code; u8 jt; u8 jf; u32 k }, jumps counted forward. */
function assemble(instructions: Instruction[]): Buffer {
  const labels = new Map<string, number>();
  const code: Exclude<Instruction, { label: string }>[] = [];
  for (const instruction of instructions) {
    if ('label' in instruction) labels.set(instruction.label, code.length);
    else code.push(instruction);
  }
  const buffer = Buffer.alloc(code.length * 8);
  code.forEach((instruction, index) => {
    const offset = (label: string | null): number => {
      if (label === null) return 0;
      const distance = labels.get(label)! - index - 1;
      if (distance < 0 || distance > 255) throw new Error(`seccomp jump to ${label} out of range`);
      return distance;
    };
    buffer.writeUInt16LE(instruction.op, index * 8);
    if ('yes' in instruction) {
      buffer.writeUInt8(offset(instruction.yes), index * 8 + 2);
      buffer.writeUInt8(offset(instruction.no), index * 8 + 3);
    }
    buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return buffer;
}

/**
 * The filter as a file bwrap reads through a file descriptor, in a folder the sandbox hides (the data dir);
 * rewritten only when it changed. Null on a CPU the filter does not know.
 */
export function installSeccompFilter(dir: string, options: FilterOptions): string | null {
  const filter = seccompFilter(options);
  if (!filter) return null;
  const file = join(dir, options.unixSockets ? 'sandbox-unix-sockets.bpf' : 'sandbox.bpf');
  if (!existsSync(file) || !readFileSync(file).equals(filter)) renameSync(writeTempFile(file, filter), file);
  return file;
}
