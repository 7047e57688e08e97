import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { probeBwrap } from '../fleet/backends/local/sandbox/bwrap.js';
import type { SandboxSettings } from '../fleet/backends/local/sandbox/fleet-launcher.js';
import { probeUserNet } from '../fleet/backends/local/sandbox/user-net.js';

/**
 * The built-in presets turn their CLI's own prompts off, so where bwrap works, and pasta gives their sandbox the
 * network they need, they run sandboxed unless a role or project says otherwise. Sandboxed agents never see the
 * server's token, named tokens, fleet config or credentials, nor what the caller adds (the webhook secret), nor the
 * data dir, hidden by the fleet itself.
 */
export function sandboxSettings(
  config: Config,
  alsoHidden: readonly string[] = [],
): Required<Pick<SandboxSettings, 'hidden' | 'presetsByDefault' | 'bwrap' | 'userNet'>> {
  const { auth } = config;
  const hidden = [
    dirname(auth.tokenFile),
    auth.namedTokensFile,
    config.fleetConfigFile,
    ...(auth.credentialsDirectory ? [auth.credentialsDirectory] : []),
    ...alsoHidden,
  ];
  return {
    hidden,
    presetsByDefault: true,
    bwrap: probeBwrap(process.env.PATH),
    userNet: probeUserNet(process.env.PATH),
  };
}
