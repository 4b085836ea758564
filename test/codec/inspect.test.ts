import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repo } from './support';
import { codec } from './support';

const bin = join(repo, 'bin/passerelle.js');
const fixtures = join(repo, 'fixtures/codec');

function inspect(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'inspect', ...args], { cwd: repo, env: { PATH: process.env.PATH }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('passerelle inspect', () => {
  it('prints the canonical demands of a clean file as JSON and exits 0', () => {
    const r = inspect(join(fixtures, 'dispatch-demande-prefixed.xml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { demandes: Array<{ numUnique: string }>; problems: unknown[]; form: string };
    expect(out.demandes.map((d) => d.numUnique)).toEqual(['0350124000001G0001', '0350124000002G0001', '0350224000003G0002']);
    expect(out.problems).toEqual([]);
    expect(out.form).toBe('demande');
  });

  it('lists issues and warnings with the demand index and path, leaves the quarantined demand out, and exits 1', () => {
    const r = inspect(join(fixtures, 'quarantine.xml'), '--format', 'json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { demandes: unknown[]; problems: Array<{ index?: number; severity: string; path: string; rule: string }> };
    expect(out.demandes).toHaveLength(2);
    expect(out.problems).toContainEqual(expect.objectContaining({ index: 1, severity: 'error', path: 'logementRecherche.demandeElargie', rule: 'boolean' }));
    expect(out.problems).toContainEqual(expect.objectContaining({ index: 2, severity: 'warning', path: 'demandeur.civilite', rule: 'unknown-code' }));
  });

  it('prints the rebuilt document with --format xml: a round trip through the canonical model', () => {
    const r = inspect(join(fixtures, 'dispatch-demandelogement.xml'), '--format', 'xml');
    expect(r.status).toBe(0);
    const original = codec.parse(fixture('dispatch-demandelogement.xml'));
    expect(r.stdout).toBe(fixture('dispatch-demandelogement.xml').toString('utf8'));
    expect(codec.parse(r.stdout)).toEqual(original);
  });

  it('exits 2 with the line and column on stderr when the file is not well-formed XML, or not readable', () => {
    const bad = inspect(join(fixtures, 'bad-nesting.xml'));
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/XML_MALFORMED: .*line 12, column \d+/);
    const missing = inspect(join(fixtures, 'no-such-file.xml'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  });
});
