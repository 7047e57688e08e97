import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { execWord, unitWord } from '../../src/systemd/escape.js';
import { renderUnit, type UnitOptions } from '../../src/systemd/unit.js';

const INJECTION = '/srv/x\nExecStartPre=+/usr/bin/touch /pwned';

const OPTIONS: UnitOptions = {
  kind: 'system',
  command: ['/usr/bin/node', '/opt/fleet-mcp/bin/fleet-mcp.js'],
  workingDirectory: '/srv/work',
  environment: [['FLEET_MCP_DATA_DIR', '/srv/data']],
  writablePaths: [{ path: '/srv/project', optional: false }],
  user: 'fleet',
  version: '0.0.0',
};

const CONTROL_CHARACTERS = [...Array.from({ length: 0x20 }, (_, code) => code), 0x7f].map((code) =>
  String.fromCharCode(code),
);

describe('unit file words', () => {
  it.each(CONTROL_CHARACTERS.map((char) => [`\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`, char]))(
    'refuses a value with the control character %s, naming the value',
    (code, char) => {
      const value = `/srv/a${char}b`;
      for (const write of [unitWord, execWord]) {
        expect(() => write(value, 'the data dir')).toThrow(ConfigError);
        expect(() => write(value, 'the data dir')).toThrow(
          `cannot write the data dir ${JSON.stringify(value)} into a systemd unit: it contains the control character ${code}`,
        );
      }
    },
  );

  it('still writes printable values, quoted and escaped', () => {
    expect(unitWord('/srv/my project 100%', 'a path')).toBe('"/srv/my project 100%%"');
    expect(execWord('/srv/$HOME', 'a word')).toBe('/srv/$$HOME');
  });
});

describe('renderUnit', () => {
  it.each<[string, Partial<UnitOptions>, string]>([
    ['the command', { command: [`/usr/bin/node${INJECTION}`] }, 'the command'],
    ['the working directory', { workingDirectory: INJECTION }, 'the working directory'],
    ['an environment value', { environment: [['FLEET_MCP_DATA_DIR', INJECTION]] }, 'the value of FLEET_MCP_DATA_DIR'],
    ['an environment name', { environment: [[`X${INJECTION}`, '1']] }, 'the variable X'],
    ['a writable path', { writablePaths: [{ path: INJECTION, optional: true }] }, 'the writable path'],
    ['the user', { user: `fleet${INJECTION}` }, 'the user name'],
  ])('refuses a newline in %s', (_name, change, what) => {
    expect(() => renderUnit({ ...OPTIONS, ...change })).toThrow(`cannot write ${what}`);
  });

  it('renders the same options without control characters', () => {
    expect(renderUnit(OPTIONS)).toContain('Environment=FLEET_MCP_DATA_DIR=/srv/data\n');
  });
});
