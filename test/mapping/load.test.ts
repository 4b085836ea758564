import { join } from 'node:path';
import { ValidationError } from '../../src/errors';
import { checkMappings, loadMappings, MAPPING_TABLES_INVALID } from '../../src/mapping';
import { FIXTURES, tablesCopy } from './support';

describe('loading the mapping tables', () => {
  it('loads the tables shipped with the gateway without a problem', () => {
    const r = checkMappings(join(__dirname, '..', '..', 'mappings'));
    expect(r.issues).toEqual([]);
    expect(r.tables).toBeDefined();
  });

  it('loads every table with its version, frozen', () => {
    const tables = loadMappings(FIXTURES);
    expect(tables.versions).toMatchObject({ 'reservataires/conventions.yaml': 3, 'rpls/999999001.yaml': 2, 'sne/events.yaml': 1 });
    expect(Object.keys(tables.rpls)).toEqual(['999999001']);
    expect(Object.isFrozen(tables.conventions.bailleurs[0])).toBe(true);
  });

  it('reports every problem across several files at once, with file#path, and loads nothing', () => {
    const copy = tablesCopy();
    try {
      copy.write('cal/pieces.yaml', 'version: 1\npieces:\n  IDENTITE: { label: "x"\n');
      copy.write(
        'reservataires/conventions.yaml',
        [
          'version: 1',
          'bailleurs:',
          "  - siren: '999999001'",
          '    reservataires:',
          '      - { id: ETAT, type: ETAT }',
          '      - { id: PREF, type: PPRIOR, fluxEtat: agents }',
          "      - { id: COM, type: COLTER, validFrom: '2024-01-01' }",
          "      - { id: COM, type: COLTER, validFrom: '2024-06-01', validTo: '2024-03-01' }",
          '      - { id: MOI, type: AUCUN }',
          '  - siren: 999999001',
          '    reservataires: []',
        ].join('\n'),
      );
      copy.write('rpls/999999001.yaml', ["version: 1", "bailleurSiren: '999999002'", 'logements:', "  'A': 'a1'", "  'B': 'B000000001'", "  'C': 'B000000001'"].join('\n'));
      copy.write('rpls/bailleur-b.yaml', 'version: 1\n');
      copy.write('local/codes.yaml', ['version: 1', 'lists:', '  couleur: { ROUGE: R }', '  piece:', '    CNI: CARTE_BLEUE', '  motifRefus:', '    01: LOCALISATION'].join('\n'));
      copy.write(
        'sne/events.yaml',
        copy
          .read('sne/events.yaml')
          .replace('irrecevabilite: IRR', 'inconnu: IRR')
          .replace('renouvellement: { typeFichier: REN }', 'renouvellement: { typeFichier: RENOUV }'),
      );
      copy.write('radiation.yaml', 'version: 1\nmotifs:\n  RADATT: { event: attribution }\n  RADABA: {}\n  RADCON: {}\n  RADIRR: { sousMotifs: [] }\n');
      copy.write('cal/motifs-non-attribution.yaml', 'version: 1\nmotifs:\n  ABSENCE_LIEN_COMMUNE: { label: lien, neverAlone: true }\n');
      copy.write('priorites.yaml', 'criteres: {}\n');
      copy.remove('cal/motifs-refus.yaml');

      const r = checkMappings(copy.dir);
      expect(r.tables).toBeUndefined();
      expect(r.issues.map((i) => `${i.path} [${i.rule}]`)).toEqual([
        'cal/pieces.yaml [yaml]',
        'cal/motifs-non-attribution.yaml#motifs [reason-alone-possible]',
        'cal/motifs-refus.yaml [file-readable]',
        'priorites.yaml#version [invalid_type]',
        'radiation.yaml#motifs [motif-required]',
        'radiation.yaml#motifs.RADIRR.sousMotifs [sub-motifs-required]',
        'radiation.yaml#motifs.RADIRR.delayMonths [required]',
        'reservataires/conventions.yaml#bailleurs[0].reservataires[0].type [invalid_value]',
        'reservataires/conventions.yaml#bailleurs[1].siren [invalid_type]',
        'local/codes.yaml#lists.motifRefus.1 [quoted-key]',
        'sne/events.yaml#evenements.renouvellement.typeFichier [custom]',
        'rpls/999999001.yaml#logements.A [invalid_format]',
        'rpls/bailleur-b.yaml [rpls-file-name]',
      ]);
      expect(r.issues[0]!.message).toMatch(/^YAML syntax error \w+ at line \d+, column \d+$/);
      const text = JSON.stringify(r.issues);
      expect(text).toContain('must be one of COLTER, COLACT, PPRIOR, PFONCT, AUTRES, AUCUN');
      expect(text).toContain('key must be text: quote it (a number, boolean or null key loses its spelling, e.g. leading zeros)');
      expect(text).toContain('an RPLS table is named after its bailleur: <SIREN of 9 digits>.yaml');
    } finally {
      copy.cleanup();
    }
  });

  it('cross-checks tables that are each well formed', () => {
    const copy = tablesCopy();
    try {
      copy.write(
        'reservataires/conventions.yaml',
        [
          'version: 1',
          'bailleurs:',
          "  - siren: '999999001'",
          '    reservataires:',
          '      - { id: PREF, type: PPRIOR, fluxEtat: agents }',
          '      - { id: AL, type: COLACT, fluxEtat: agents }',
          "      - { id: COM, type: COLTER, validFrom: '2024-01-01' }",
          "      - { id: COM, type: COLTER, validFrom: '2024-06-01', validTo: '2024-03-01' }",
          '      - { id: MOI, type: AUCUN }',
          "  - siren: '999999001'",
          '    reservataires: []',
        ].join('\n'),
      );
      copy.write('rpls/999999001.yaml', ["version: 1", "bailleurSiren: '999999002'", 'logements:', "  'B': 'B000000001'", "  'C': 'B000000001'"].join('\n'));
      copy.write('local/codes.yaml', ['version: 1', 'lists:', '  couleur: { ROUGE: R }', '  piece:', '    CNI: CARTE_BLEUE'].join('\n'));
      copy.write(
        'sne/events.yaml',
        copy
          .read('sne/events.yaml')
          .replace('irrecevabilite: IRR', 'inconnu: IRR')
          .replace('effectuee: EFFE', 'effectuee: PROP'),
      );

      const r = checkMappings(copy.dir);
      expect(r.tables).toBeUndefined();
      expect(r.issues).toEqual([
        { path: 'reservataires/conventions.yaml#bailleurs[0].reservataires[0].fluxEtat', rule: 'flux-etat', message: 'a State reservation of type PPRIOR is the prioritaires flow: fluxEtat must be prioritaires' },
        { path: 'reservataires/conventions.yaml#bailleurs[0].reservataires[1].fluxEtat', rule: 'flux-etat', message: 'fluxEtat is only for the State (types PPRIOR and PFONCT)' },
        { path: 'reservataires/conventions.yaml#bailleurs[0].reservataires[3].validTo', rule: 'validity-order', message: 'validTo must not be before validFrom' },
        {
          path: 'reservataires/conventions.yaml#bailleurs[0].reservataires[3].validFrom',
          rule: 'validity-overlap',
          message: 'this convention overlaps bailleurs[0].reservataires[2] of the same réservataire: at most one may be valid on a date',
        },
        {
          path: 'reservataires/conventions.yaml#bailleurs[0].reservataires[4].type',
          rule: 'reservataire-type',
          message: "AUCUN is the bailleur's own stock, not a réservataire: events say imputation type bailleur",
        },
        { path: 'reservataires/conventions.yaml#bailleurs[1].siren', rule: 'bailleur-unique', message: 'this SIREN is already described at bailleurs[0]' },
        {
          path: 'local/codes.yaml#lists.couleur',
          rule: 'unknown-list',
          message:
            'not a code list the local codes may translate: one of typeEvenement, decisionCal, statutVisite, imputation, piece, motifNonAttribution, motifRefus, critereL441, reservataire, motifRadiation, sousMotifRadiation, sourceLabel, typeReservataire, accordCollectif, typeLogementRpls, qpv',
        },
        { path: 'local/codes.yaml#lists.piece.CNI', rule: 'unknown-target', message: 'must translate to a canonical code of list piece (cal/pieces.yaml)' },
        { path: 'sne/events.yaml#codes.decisionCal.inconnu', rule: 'unknown-code', message: 'key must be a canonical code of list decisionCal' },
        { path: 'sne/events.yaml#codes.statutVisite.effectuee', rule: 'sne-code-unique', message: 'this SNE code is already the one of proposee: a code read back must have one meaning' },
        { path: 'sne/events.yaml#codes.decisionCal', rule: 'codes-complete', message: 'needs an SNE code for each of: irrecevabilite' },
        { path: 'rpls/999999001.yaml#bailleurSiren', rule: 'rpls-file-siren', message: 'bailleurSiren must be the SIREN the file is named after' },
        { path: 'rpls/999999001.yaml#logements.C', rule: 'rpls-unique', message: 'this RPLS id is already given to logements.B: an RPLS id names one dwelling' },
      ]);
    } finally {
      copy.cleanup();
    }
  });

  it('throws one ValidationError listing every problem when asked to load broken tables', () => {
    const copy = tablesCopy();
    try {
      copy.remove('sne/events.yaml');
      copy.remove('radiation.yaml');
      let error: unknown;
      try {
        loadMappings(copy.dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      const v = error as ValidationError;
      expect(v.code).toBe(MAPPING_TABLES_INVALID);
      expect(v.errorClass).toBe('permanent');
      expect(v.issues).toEqual([
        { path: 'radiation.yaml', rule: 'file-readable', message: 'cannot read the table (ENOENT)' },
        { path: 'sne/events.yaml', rule: 'file-readable', message: 'cannot read the table (ENOENT)' },
      ]);
    } finally {
      copy.cleanup();
    }
  });

  it('runs without RPLS tables at all', () => {
    const copy = tablesCopy();
    try {
      copy.remove('rpls');
      expect(loadMappings(copy.dir).rpls).toEqual({});
    } finally {
      copy.cleanup();
    }
  });
});
