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
 * Whether the CLI's offer to its model matches what its module says: a CLI that `asks` offers its asking tool, and
 * one that does not offers none, so "where its CLI can ask" is checked for every CLI. Returns failures.
 * @param {{ name: string, asks?: boolean }} cli
 * @param {string[]} tools
 */
export function askingToolFailures(cli, tools) {
  const asking = tools.filter((name) => ASKING_TOOL.test(name));
  if (tools.length === 0) return [`${cli.name}: the mock saw no tools offered to the model`];
  if (cli.asks && !asking.includes('AskUserQuestion'))
    return [`${cli.name}: its preset offers the model no AskUserQuestion (tools: ${tools.join(', ')})`];
  if (!cli.asks && asking.length > 0)
    return [
      `${cli.name}: its preset offers the model ${asking.join(', ')}, a way to ask its user the fleet does not handle`,
    ];
  return [];
}
