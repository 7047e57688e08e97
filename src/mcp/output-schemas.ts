import * as z from 'zod';

// The shapes of what the fleet returns (src/fleet/types.ts, fleet-api.ts, review/*), as the tools' output schemas.
// Each tool's handler is typed to return the inferred type of its schema, so a field the fleet drops or retypes
// fails to compile rather than making a schema lie. Built once, at module level (see fleet-tool.ts).
//
// They are kept short, as tools/list carries them to every client: an object names the fields a caller works
// with and their types, and leaves the others open (no additionalProperties) rather than listing every field in
// every tool. The JSON
// Schema lists no `required`: the zod schema the SDK checks each answer against still requires every named field.

/** The JSON Schema keys zod would add that tools/list does without (see above). */
const OPEN = { additionalProperties: undefined, required: undefined };

/** An object with these fields, which may carry others. */
function fields<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).meta(OPEN);
}

/**
 * A tool's output schema. Without a `$schema` URI, which zod would repeat in every schema of tools/list: these
 * schemas mean the same in draft-07 and in 2020-12, the dialect MCP assumes when none is named.
 */
export function outputSchema<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).meta({ $schema: undefined, ...OPEN });
}

const text = z.string();
const nullableText = z.string().nullable();
const count = z.number();
const texts = z.array(text);
/** An object whose fields the tool's description or another tool names: its type is given, its fields are not. */
const object = z.unknown().meta({ type: 'object' });
const nullableObject = z.unknown().meta({ type: ['object', 'null'] });

/** A list or null, listed by its type alone: its items' type is checked, but not spelt out in tools/list. */
function nullableList<T extends z.ZodArray>(list: T) {
  return list.nullable().meta({ anyOf: undefined, type: ['array', 'null'] });
}

/** A task, with the fields that say what it was asked, how it ended and what it changed. */
export const taskSchema = fields({
  id: text,
  description: text,
  status: text,
  reason: nullableText,
  ended_at: nullableText,
  commits: nullableList(z.array(object)),
  files_changed: nullableList(texts),
  autocommit: nullableObject,
  final_message: nullableText,
});

const agentFields = {
  name: text,
  project: text,
  role: text,
  status: text,
  status_reason: nullableText,
  workdir: text,
  branch: nullableText,
  base: nullableObject,
  current_task_id: nullableText,
};

/** The agent, and how its latest task stands (more of it: show_agent_task_history). */
export const agentShape = {
  ...agentFields,
  task_count: count,
  question: nullableObject,
  last_task: fields({ id: text, status: text, outcome: nullableText, reason: nullableText }).nullable(),
};

/** The agent as the tools that act on it answer it: show_agent's value, these fields named. */
export const agentBrief = fields({ name: text, status: text, status_reason: nullableText, last_task: nullableObject });

export const listedAgentSchema = fields({
  name: text,
  status: text,
  status_reason: nullableText,
  // Listed by its type alone (tools/list is kept small); its fields are still checked.
  last_outcome: fields({ task_id: text, status: text, outcome: nullableText, reason: nullableText })
    .nullable()
    .meta({ anyOf: undefined, type: ['object', 'null'] }),
  usage: nullableObject,
  question: nullableObject,
});

export const deletedAgentShape = {
  name: text,
  status: text,
  status_reason: nullableText,
  branch_outcome: nullableObject,
  forced_past: nullableText,
};

export const pagingFields = { total_count: count, has_next_page: z.boolean() };

export const logLineSchema = fields({ time: text, stream: text, text, task_id: text });

export const projectSchema = fields({ name: text, path: text, description: text, base: text.optional() });

export const roleSchema = fields({
  name: text,
  description: text,
  default: z.boolean(),
  usable: z.boolean(),
  problem: nullableText,
});

/** Also commits ahead and behind, diffstat, uncommitted files; outside git, only agent, kind "not_git" and message. */
export const changesShape = {
  agent: text,
  kind: text,
  branch: fields({ name: text, commit: text }).optional(),
  diff: fields({ nextOffset: count.nullable() }).optional(),
  message: text.optional(),
};

export const mergeShape = {
  agent: text,
  outcome: text,
  target: text,
  branch: text,
  leftovers_committed: nullableObject,
};

export const cleanupShape = {
  into: text,
  deleted: z.array(fields({ branch: text })),
  kept: z.array(fields({ branch: text, reason: text })),
};
