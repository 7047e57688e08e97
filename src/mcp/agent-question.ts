import { FleetError } from '../fleet/errors.js';
import type { AgentQuestion, AgentQuestionItem, QuestionAnswer } from '../fleet/fleet-api.js';
import { MAX_ANSWER_CHARS } from '../fleet/tasks/questions/question-desk.js';
import type { Question, QuestionForm, Reply } from './fleet-tool.js';
import { visible } from './visible-text.js';

/** What the agent's CLI is told when the client's user declines or dismisses its question. */
export const DECLINED_ANSWER = 'The user declined to answer.';

/**
 * The key an agent's question is asked under: its id is in it, so an answer the client sends for an earlier
 * question (a late retry, a stale task update) never answers a newer one.
 */
export function questionKey(question: AgentQuestion): string {
  return `agent_question:${question.id}`;
}

// The agent's text reaches the client's user as the server's words: its control characters are spelt out (the
// option values stay the labels, which the agent is answered with).
function choiceField(item: AgentQuestionItem): Record<string, unknown> {
  const options = item.options.map(({ label, description }) => ({
    const: label,
    title: visible(description ? `${label}: ${description}` : label),
  }));
  const named = { title: visible(item.header || item.question), description: visible(item.question) };
  return item.multi_select
    ? { type: 'array', ...named, items: { anyOf: options } }
    : { type: 'string', ...named, oneOf: options };
}

/**
 * The agent's question as one form: per question, its options (titled by their descriptions; an array of them for
 * a multi-select question) and a free-text field, since the spec's enum fields take no text of the user's own.
 */
export function questionForm(question: AgentQuestion): QuestionForm {
  const properties: Record<string, unknown> = {};
  question.questions.forEach((item, index) => {
    if (item.options.length > 0) properties[`choice_${index + 1}`] = choiceField(item);
    properties[`text_${index + 1}`] = { type: 'string', title: 'Or your own answer', maxLength: MAX_ANSWER_CHARS };
  });
  return { type: 'object', properties };
}

/** The question in one line of text: what a lead reads in a result, and the message of the form. */
export function questionText(agent: string, question: AgentQuestion): string {
  const items = question.questions.map((item) => {
    const options = item.options.map((option) => option.label).join(' | ');
    return `${item.question}${options ? ` [${options}${item.multi_select ? '; several' : ''}]` : ''}`;
  });
  return `Agent "${agent}" asks: ${visible(items.join(' '))}`;
}

/** The form that puts the agent's question to the client's user. */
export function askAgentQuestion(agent: string, question: AgentQuestion): Question {
  return { ask: { key: questionKey(question), message: questionText(agent, question), form: questionForm(question) } };
}

function choiceAnswer(item: AgentQuestionItem, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const labels = new Set(item.options.map((option) => option.label));
  const chosen = Array.isArray(value) && item.multi_select ? value : [value];
  if (chosen.length === 0) return undefined;
  if (!chosen.every((label) => typeof label === 'string' && labels.has(label)))
    throw new FleetError(
      'invalid_argument',
      `Not an option of "${visible(item.question)}": ${JSON.stringify(value).slice(0, 200)}.`,
    );
  return chosen.join(', ');
}

function itemAnswer(item: AgentQuestionItem, index: number, content: Record<string, unknown>): string {
  const text = content[`text_${index + 1}`];
  if (typeof text === 'string' && text.trim() !== '') return text;
  const chosen = choiceAnswer(item, content[`choice_${index + 1}`]);
  if (chosen !== undefined) return chosen;
  throw new FleetError(
    'invalid_argument',
    `No answer to "${visible(item.question)}": pick an option or write your own.`,
  );
}

/**
 * What the client's user replied to the agent's question, as the fleet takes it; undefined when they were not asked
 * it. An accepted form that answers a question with no option of it and no text is refused, naming the question.
 */
export function replyAnswer(question: AgentQuestion, reply: Reply): QuestionAnswer | undefined {
  if (reply.action === 'unasked') return undefined;
  if (reply.action === 'decline') return { declined: DECLINED_ANSWER };
  // Built from entries: a question named `__proto__` is the agent's text too.
  return {
    answers: Object.fromEntries(
      question.questions.map((item, index) => [item.question, itemAnswer(item, index, reply.content)]),
    ),
  };
}

/** One text answering every question of the agent's question: start_agent_task's task, given to an asking agent. */
export function textAnswer(question: AgentQuestion, text: string): QuestionAnswer {
  return { answers: Object.fromEntries(question.questions.map((item) => [item.question, text])) };
}
