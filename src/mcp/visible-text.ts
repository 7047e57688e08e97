/**
 * An agent's text with its control characters spelt out (\r, \n, \u001b), for the text of a tool's answer: the text
 * is the agent's to choose, and a line break, carriage return or terminal escape in it could otherwise make it
 * pass for a line of fleet-mcp's.
 */
export function visible(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it spells out
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => JSON.stringify(char).slice(1, -1));
}
