// Splits a callgrind output file's instructions by who spent them: V8's garbage collector, its optimizing
// compilers (TurboFan, Maglev), and the rest. A share is the inclusive cost of the calls into the entry points of
// that work (a collection, a collector's job on a helper thread, a compile job), counted only where the caller is
// not already inside it, so nothing is counted twice.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Where garbage-collection work starts: a collection on the main thread, an incremental step, a helper's job. */
const GC_ENTRY =
  /v8::internal::(Heap::(CollectGarbage|StartIncrementalMarking|FinalizeIncrementalMarkingAtomically)\(|IncrementalMarking::(Step|AdvanceOnAllocation|AdvanceAndFinalizeIfComplete|AdvanceAndFinalizeIfNecessary)\(|IncrementalMarkingJob::Task::RunInternal|MemoryReducer::TimerTask::RunInternal|ScavengeJob::Task::RunInternal|ScavengerCollector::JobTask::Run\(|ConcurrentMarking::JobTask\w*::Run\(|Sweeper::\w*Job\w*::Run\(|ArrayBufferSweeper::\w+::Run|MinorMarkCompactCollector::\w*Job\w*::Run\()/;
/** A caller already inside collector code: calls from it are part of a share already counted. */
const GC_INSIDE =
  /Scaveng|MarkCompact|Marking|Sweep|Evacuat|GCTracer|MemoryReducer|Heap::(CollectGarbage|PerformGarbageCollection|GarbageCollection|StartIncrementalMarking|FinalizeIncrementalMarking)|heap::base::|cppgc::internal::/;
/** Where an optimizing compile starts, on the main thread or a helper. */
const JIT_ENTRY = /v8::internal::OptimizedCompilationJob::(PrepareJob|ExecuteJob|FinalizeJob)\(/;
const JIT_INSIDE = /v8::internal::(compiler|maglev)::|OptimizedCompilationJob::/;

/**
 * @param {string} file a callgrind output (one event, Ir; name compression as callgrind writes it)
 * @returns {Promise<{ total: number, gc: number, jit: number }>}
 */
export async function callgrindShares(file) {
  const names = new Map();
  const totals = { total: 0, gc: 0, jit: 0 };
  let caller = '';
  let callee = '';
  // The cost line right after a calls= line is the callee's inclusive cost at that call, not the caller's own.
  let afterCall = false;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.startsWith('fn=')) caller = nameOf(line.slice(3), names);
    else if (line.startsWith('cfn=')) callee = nameOf(line.slice(4), names);
    else if (line.startsWith('calls=')) afterCall = true;
    else if (isCostLine(line)) {
      const cost = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!afterCall) totals.total += cost;
      else {
        afterCall = false;
        if (GC_ENTRY.test(callee) && !GC_INSIDE.test(caller)) totals.gc += cost;
        else if (JIT_ENTRY.test(callee) && !JIT_INSIDE.test(caller)) totals.jit += cost;
      }
    }
  }
  return totals;
}

function isCostLine(line) {
  const first = line.charCodeAt(0);
  return (first >= 48 && first <= 57) || first === 43 || first === 45 || first === 42;
}

/** `(id) name` defines a compressed name, `(id)` uses one. */
function nameOf(text, names) {
  const match = /^\((\d+)\)(?: (.*))?$/.exec(text);
  if (!match) return text;
  if (match[2] !== undefined) names.set(match[1], match[2]);
  return names.get(match[1]) ?? '';
}
