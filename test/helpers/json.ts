/**
 * JSON from the wire that a test reads field by field and checks with expect(): a tool's structuredContent, a raw
 * JSON-RPC answer, a Kubernetes object. Its real shape is not declared anywhere a test could import (the tools'
 * output schemas leave nested objects open), so it stays unchecked, under this one name.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one unchecked type of the tests, see above
export type Json = any;
