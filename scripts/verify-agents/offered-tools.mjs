// The tools a CLI offered its model, read from the requests its mock recorded, whatever the API: Anthropic's and
// OpenAI's `tools[].name`, Gemini's `tools[].functionDeclarations[].name`.

/** @param {{ body?: { tools?: unknown[] } }[]} requests */
export function offeredTools(requests) {
  const names = new Set();
  for (const request of requests) {
    for (const tool of request.body?.tools ?? []) {
      if (typeof tool?.name === 'string') names.add(tool.name);
      for (const declaration of tool?.functionDeclarations ?? [])
        if (typeof declaration?.name === 'string') names.add(declaration.name);
    }
  }
  return [...names];
}

/** A tool through which a model asks its user something, by its name. */
const ASKING_TOOL = /question|ask.?user|elicit|user.?input/i;

/**
 * Whether the CLI's offer to its model matches what its module declares: exactly its `asking.tool`, or no asking
 * tool at all, so a CLI version that starts or stops offering a way to ask its user fails here until its module
 * says who answers it. Returns failures.
 * @param {{ name: string, asking?: { tool: string, answeredBy: 'fleet' | 'cli' } }} cli
 * @param {string[]} tools
 */
export function askingToolFailures(cli, tools) {
  if (tools.length === 0) return [`${cli.name}: the mock saw no tools offered to the model`];
  const offered = tools.filter((name) => ASKING_TOOL.test(name));
  const declared = cli.asking ? [cli.asking.tool] : [];
  if (offered.length === declared.length && offered.every((name) => declared.includes(name))) return [];
  return [
    `${cli.name}: its preset offers the model ${offered.join(', ') || 'no asking tool'}, its module declares ${
      declared.join(', ') || 'none'
    } (find out who answers the tool and declare it as \`asking\` in scripts/verify-agents/clis/${cli.name}.mjs)`,
  ];
}

/** Whether a scenario that `needs` a kind of asking CLI applies to this one. */
export function askingApplies(scenario, cli) {
  if (!scenario.needs) return true;
  return { 'fleet-answers': 'fleet', 'cli-answers': 'cli' }[scenario.needs] === cli.asking?.answeredBy;
}
