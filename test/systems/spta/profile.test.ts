/**
 * SPTA profiles: the shipped ones load; a bad one is refused with every problem at `spta/<file>#<path>`;
 * `checkSptaProfiles` checks what a configuration names.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../src/errors';
import { SNE_ENDPOINT_PATH, SNE_SERVICE_NS } from '../../../src/systems/sne/wire';
import { checkSptaProfile, checkSptaProfiles, DEFAULT_SPTA_PROFILES_DIR, loadSptaProfile, SptaErrorCode } from '../../../src/systems/spta';

describe('SPTA profiles', () => {
  let root: string;
  let dir: string;
  const write = (name: string, text: string): void => writeFileSync(join(dir, `${name}.yaml`), text);
  const problems = (name: string) => checkSptaProfile(name, dir).issues.map((i) => [i.path, i.rule]);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'passerelle-spta-profiles-'));
    dir = join(root, 'spta');
    mkdirSync(dir);
    mkdirSync(join(root, 'sne'));
    copyFileSync(join(DEFAULT_SPTA_PROFILES_DIR, '..', 'sne', 'events.yaml'), join(root, 'sne', 'events.yaml'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('loads the national-format profile: the SNE service, no rename, no translation', () => {
    const p = loadSptaProfile('sne-compatible');
    expect(p).toMatchObject({ name: 'sne-compatible', version: 1, renames: {}, codeTranslations: {}, file: 'spta/sne-compatible.yaml' });
    expect(p.transport.webservice).toEqual({ endpointPath: SNE_ENDPOINT_PATH, serviceNamespace: SNE_SERVICE_NS });
    expect(p.transport.files).toEqual({ outDir: 'out', inDir: 'in', doneDir: 'in/done' });
  });

  it('loads the illustrative dialect: its own service, renamed elements and one translated list', () => {
    const p = loadSptaProfile('ille-et-vilaine');
    expect(p.status).toBe('illustrative');
    expect(p.transport.webservice.endpointPath).not.toBe(SNE_ENDPOINT_PATH);
    expect(p.transport.webservice.serviceNamespace).not.toBe(SNE_SERVICE_NS);
    expect(p.renames).toMatchObject({ demandeur: 'demandeurPrincipal', listeCotitulaire: 'listeCoDemandeur' });
    expect(Object.keys(p.codeTranslations)).toEqual(['situationFamiliale']);
    expect(Object.isFrozen(p.renames)).toBe(true);
  });

  it('fills transport defaults from the SNE when a profile leaves them out', () => {
    write('minimal', 'version: 1\nname: minimal\nstatus: provisional\n');
    expect(loadSptaProfile('minimal', dir).transport.webservice).toEqual({ endpointPath: SNE_ENDPOINT_PATH, serviceNamespace: SNE_SERVICE_NS });
  });

  it('reports every schema problem of a file with its path', () => {
    write(
      'broken',
      [
        "version: '1'",
        'name: broken',
        'status: draft',
        'transport:',
        '  webservice: { endpointPath: services/x, serviceNamespace: not-a-url }',
        '  files: { outDir: ../outside }',
        'renames: { demandeur: "ns:demandeur" }',
        'surprise: true',
      ].join('\n'),
    );
    expect(problems('broken')).toEqual(
      expect.arrayContaining([
        ['spta/broken.yaml#version', 'invalid_type'],
        ['spta/broken.yaml#status', 'invalid_value'],
        ['spta/broken.yaml#transport.webservice.endpointPath', 'invalid_format'],
        ['spta/broken.yaml#transport.webservice.serviceNamespace', 'invalid_format'],
        ['spta/broken.yaml#transport.files.outDir', 'invalid_format'],
        ['spta/broken.yaml#renames.demandeur', 'invalid_format'],
        ['spta/broken.yaml', 'unrecognized_keys'],
      ]),
    );
  });

  it('refuses unknown lists and codes, translations and renames that are not one-to-one, reserved and unknown names', () => {
    write(
      'dialect',
      [
        'version: 2',
        'name: dialect',
        'status: illustrative',
        'renames:',
        '  demandeur: titulaire',
        '  cotitulaire: titulaire',
        '  demandeLogement: dossier',
        '  elementInexistant: autre',
        '  decisionCal: decisionCommission',
        'codeTranslations:',
        "  situationFamiliale: { 'C': CEL, 'M': CEL, 'X': XX }",
        "  listeInventee: { 'A': B }",
        "  decisionCal: { 'ATT': A }",
      ].join('\n'),
    );
    expect(problems('dialect')).toEqual([
      ['spta/dialect.yaml#renames.cotitulaire', 'one-to-one'],
      ['spta/dialect.yaml#renames.demandeLogement', 'reserved-element'],
      ['spta/dialect.yaml#renames.elementInexistant', 'known-element'],
      ['spta/dialect.yaml#codeTranslations.situationFamiliale.M', 'one-to-one'],
      ['spta/dialect.yaml#codeTranslations.situationFamiliale.X', 'known-code'],
      ['spta/dialect.yaml#codeTranslations.listeInventee', 'known-list'],
    ]);
  });

  it('refuses a rename that makes two elements of one parent alike, where the codec finds it', () => {
    write('clash', 'version: 1\nname: clash\nstatus: illustrative\nrenames: { nom: prenom }\n');
    const issues = checkSptaProfile('clash', dir).issues;
    expect(issues).toContainEqual({
      path: 'spta/clash.yaml#renames',
      rule: 'unique-element',
      message: 'two fields are written as <prenom> in the same element (under demandeLogement/personnePhysique/demandeur)',
    });
    expect(issues.every((i) => i.path === 'spta/clash.yaml#renames')).toBe(true);
  });

  it('wants keys written as text, and the name the file is named after', () => {
    write('keys', "version: 1\nname: autre\nstatus: illustrative\ncodeTranslations:\n  motifDemande: { 01: SDF }\n");
    expect(problems('keys')).toEqual([['spta/keys.yaml#codeTranslations.motifDemande.1', 'quoted-key']]);
    write('keys', "version: 1\nname: autre\nstatus: illustrative\ncodeTranslations:\n  motifDemande: { '01': SDF }\n");
    expect(problems('keys')).toEqual([['spta/keys.yaml#name', 'file-name']]);
  });

  it('throws SPTA_PROFILE_INVALID listing the problems, and says when a file is missing or unreadable', () => {
    let error: unknown;
    try {
      loadSptaProfile('absent', dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: SptaErrorCode.profileInvalid, errorClass: 'permanent', issues: [{ path: 'spta/absent.yaml', rule: 'file-readable' }] });
    write('syntax', 'version: [1\n');
    expect(problems('syntax')).toEqual([['spta/syntax.yaml', 'yaml']]);
  });

  it('checks the profiles a configuration names: missing ones at spta[i].profile, bad ones once in their file', () => {
    write('ok', 'version: 1\nname: ok\nstatus: provisional\n');
    write('bad', 'version: 0\nname: bad\nstatus: provisional\n');
    const entry = (id: string, profile: string) => ({ id, profile, transport: 'webservice' as const, url: 'http://127.0.0.1:1', timeoutMs: 1000, rateLimit: { max: 1, durationMs: 1000 } });
    const issues = checkSptaProfiles({ spta: [entry('a', 'ok'), entry('b', 'nope'), entry('c', 'bad'), entry('d', 'bad'), entry('e', 'nope')] }, dir);
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['spta[1].profile', 'profile-exists'],
      ['spta/bad.yaml#version', 'too_small'],
      ['spta[4].profile', 'profile-exists'],
    ]);
    expect(checkSptaProfiles({ spta: [entry('35', 'ille-et-vilaine'), entry('29', 'sne-compatible')] })).toEqual([]);
  });
});
