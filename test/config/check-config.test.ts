import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkConfig } from '../../src/config';
import { FIVE_MISTAKES, TEST_HMAC, TEST_KEY, fiveMistakes, minimalEnv, toYaml, workDir, writeDemoSecrets } from './support';

const repo = resolve(__dirname, '../..');
const bin = join(repo, 'bin/passerelle.js');

let wd: ReturnType<typeof workDir>;
beforeEach(() => {
  wd = workDir();
});
afterEach(() => wd.cleanup());

function run(args: string[], env: NodeJS.ProcessEnv) {
  // A clean environment: only what node needs, plus the variables of the test.
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: wd.dir,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('passerelle check-config', () => {
  it('lists all five mistakes of a file, one per line with path and rule, and exits 2', () => {
    wd.write('client.key', 'fake key');
    const file = wd.write('bad.yaml', toYaml(fiveMistakes()));

    const r = run(['check-config', '--config', file], minimalEnv());

    expect(r.status).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`config INVALID: ${file}: 5 problem(s)`);
    expect(lines.slice(1)).toHaveLength(5);
    FIVE_MISTAKES.forEach(({ path, rule }, i) => {
      expect(lines[i + 1]).toMatch(new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: .+ \\[${rule}\\]$`));
    });
    expect(r.stdout).not.toContain('literal-token-in-the-file');
    // The same five through the API.
    const api = checkConfig({ path: file, env: minimalEnv(), cwd: wd.dir });
    expect(api.issues.map(({ path, rule }) => ({ path, rule }))).toEqual(FIVE_MISTAKES);
  });

  it('prints OK and a summary with every secret masked for the default config, and exits 0', () => {
    writeDemoSecrets(wd.write);
    const file = join(repo, 'config/default.yaml');

    const r = run(['check-config', '--config', file], {});

    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`config OK: ${file}`);
    expect(r.stdout).toContain('guichet: G0123');
    expect(r.stdout).toContain('token: "***"');
    for (const secret of [TEST_KEY, TEST_HMAC]) expect(r.stdout).not.toContain(secret);
  });

  it('reads the file named by PASSERELLE_CONFIG when --config is absent', () => {
    const file = wd.write('named.yaml', 'redis: {}\n');
    const r = run(['check-config'], { PASSERELLE_CONFIG: file });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`config INVALID: ${file}`);
    expect(r.stdout).toContain('redis.url: required [required]');
  });

  it('reports a YAML alias bomb as a problem and exits 2, without a stack trace', () => {
    const names = 'abcdefghi';
    const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...[...names.slice(1)].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${names[i]!}`).join(', ')}]`)];
    const file = wd.write('bomb.yaml', `redis: {}\n${laughs.join('\n')}\n`);
    const r = run(['check-config', '--config', file], {});
    expect(r.status).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([`config INVALID: ${file}: 1 problem(s)`, expect.stringMatching(/too many alias expansions.* \[yaml-alias-limit\]$/)]);
    expect(r.stderr).not.toContain('ReferenceError');
  });
});

describe('passerelle check-config --mappings', () => {
  it('reports the problems of every mapping table at once, with file and path, before a new version is deployed', () => {
    writeDemoSecrets(wd.write);
    const dir = join(wd.dir, 'mappings');
    cpSync(join(repo, 'mappings'), dir, { recursive: true });
    const conventions = join(dir, 'reservataires', 'conventions.yaml');
    writeFileSync(conventions, readFileSync(conventions, 'utf8').replace(/^version: .*$/m, 'version: -3'));
    const pieces = join(dir, 'cal', 'pieces.yaml');
    writeFileSync(pieces, readFileSync(pieces, 'utf8').replace(/^version: .*$/m, 'version: "x"'));

    const r = run(['check-config', '--config', join(repo, 'config/default.yaml'), '--mappings', dir], {});

    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/reservataires\/conventions\.yaml#version: /);
    expect(r.stdout).toMatch(/cal\/pieces\.yaml#version: /);
  });
});
