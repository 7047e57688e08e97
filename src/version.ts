import pkg from '../package.json' with { type: 'json' };

export const SERVICE_NAME = 'fleet-mcp';
export const VERSION: string = pkg.version;
