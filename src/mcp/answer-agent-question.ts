import type { Fleet } from '../fleet/fleet-api.js';
import { questionKey, replyAnswer } from './agent-question.js';
import type { Reply } from './fleet-tool.js';

/**
 * Answers the question the agent waits on with the client's reply to it, if there is one. Replies are looked up by
 * the key of the question waiting now, so one to an earlier question is ignored.
 */
export async function answerAsked(fleet: Fleet, name: string, reply: (key: string) => Reply): Promise<void> {
  const question = fleet.showAgent(name).question;
  if (!question) return;
  const answer = replyAnswer(question, reply(questionKey(question)));
  if (answer) await fleet.answerQuestion(name, question.id, answer);
}

/** Resolves true once the agent no longer waits on question `id`, false after `ms` or when `signal` aborts. */
export function questionSettled(
  fleet: Fleet,
  name: string,
  id: string,
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (cleared: boolean): void => {
      if (settled) return;
      settled = true;
      stop();
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      resolve(cleared);
    };
    const aborted = (): void => settle(false);
    const check = (): void => {
      try {
        if (fleet.showAgent(name).question?.id !== id) settle(true);
      } catch {
        settle(true); // The agent is gone: the wait after this says so.
      }
    };
    const stop = fleet.onChange(check);
    const timer = setTimeout(() => settle(false), Math.max(0, ms));
    signal.addEventListener('abort', aborted, { once: true });
    if (signal.aborted) aborted();
    check();
  });
}
