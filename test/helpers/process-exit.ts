import type { ChildProcess } from 'node:child_process';

/** Resolves once a readable pipe from a child has closed, or after `ms` if something else keeps it open. */
function pipeClosed(stream: NodeJS.ReadableStream & { closed?: boolean }, ms: number): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The exit code, once the child's output has been read to the end: 'exit' can come before the last lines
 * written to its stdout and stderr have been read, and a test reading them at once would miss them.
 */
export function exitAfterOutput(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.once(
      'exit',
      (code) =>
        void Promise.all([pipeClosed(child.stdout!, 2000), pipeClosed(child.stderr!, 2000)]).then(() => resolve(code)),
    ),
  );
}
