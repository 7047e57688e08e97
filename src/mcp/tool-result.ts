import type { ToolAnswer } from './fleet-tool.js';

/**
 * A tool's answer as MCP carries it: the value as structuredContent (checked by the SDK against the tool's output
 * schema), and the text every client shows. The same shape in both SDKs, so it is typed here rather than imported.
 */
export interface ToolResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent: Record<string, unknown>;
}

export function toolResult(answer: ToolAnswer<Record<string, unknown>>): ToolResult {
  return { content: [{ type: 'text', text: answer.text }], structuredContent: answer.structured };
}

/** A failed call's answer: text alone, which the SDKs check against no output schema. */
export interface ToolErrorResult {
  [key: string]: unknown;
  content: [{ type: 'text'; text: string }];
  isError: true;
}

export function toolErrorResult(text: string): ToolErrorResult {
  return { content: [{ type: 'text', text }], isError: true };
}
