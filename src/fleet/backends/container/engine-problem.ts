import { EngineApiError, EngineUnreachableError, type EngineClient } from './engine-client.js';

/** Null when the engine answers its ping; else one line with the address, the cause and the fix. */
export async function engineProblem(client: EngineClient, kind: string): Promise<string | null> {
  try {
    await client.json('GET', '/_ping', { timeoutMs: 10_000 });
    return null;
  } catch (error) {
    return asLine(error, kind, client.address.text);
  }
}

/** An engine failure as one line for a RuntimeError: unreachable engines name their fix; API errors pass through. */
export function asLine(error: unknown, kind: string, address: string): string {
  if (error instanceof EngineUnreachableError) return `${kind}: ${error.message}`;
  if (error instanceof EngineApiError) return `${kind} engine at ${address} refused: ${error.message}`;
  return `${kind} engine at ${address}: ${(error as Error).message}`;
}

/** The image as the engine holds it; a RuntimeError-worthy line when it does not. Never pulls. */
export async function localImageId(client: EngineClient, image: string): Promise<string | null> {
  const found = await client.json<{ Id: string }>('GET', `/images/${encodeURIComponent(image)}/json`, {
    accept: [404],
  });
  return found.status === 404 ? null : found.body.Id;
}

export function missingImageLine(kind: string, address: string, image: string): string {
  return `${kind}: image "${image}" is not on the engine at ${address}, and fleet-mcp never pulls: load it there (docker load -i image.tar, or podman load) or build it on that engine`;
}
