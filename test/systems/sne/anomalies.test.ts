import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyAnomalies, loadAnomalyTable, parseAnomalyTable, type SneAnomaly } from '../../../src/systems/sne/wire';
import { ValidationError } from '../../../src/errors';

const TABLE_PATH = join(__dirname, '../../../mappings/sne/anomalies.yaml');

describe('the anomaly table', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sne-anomalies-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  it('loads the shipped mapping file: versioned, CTRL_DEM codes and the generic unexpected-error text', () => {
    const table = loadAnomalyTable(TABLE_PATH);
    expect(table.version).toBe('2');
    expect(table.codes.size).toBeGreaterThanOrEqual(5);
    for (const code of table.codes.keys()) expect(code).toMatch(/^CTRL_DEM_\d{4}$/);
    expect(table.texts.map((t) => t.code)).toContain('SNE_UNEXPECTED_ERROR');
  });

  it('lists every problem of an invalid table with its path', () => {
    const p = write(
      'bad.yaml',
      ['version: 0', 'codes:', '  CTRL_DEM_0001: { retryable: maybe, meaning: x }', '  ctrl_dem_2: { retryable: false, meaning: x }', '  CTRL_DEM_0003: { retryable: false }', 'extra: 1'].join('\n'),
    );
    let error: unknown;
    try {
      loadAnomalyTable(p);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.code).toBe('SNE_ANOMALY_TABLE_INVALID');
    const paths = v.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['version', 'codes.CTRL_DEM_0001.retryable', 'codes.ctrl_dem_2', 'codes.CTRL_DEM_0003.meaning', '']));
  });

  it('reports a missing file and a YAML syntax error as an invalid table', () => {
    expect(() => loadAnomalyTable(join(dir, 'absent.yaml'))).toThrow(/cannot read the anomaly table \(ENOENT\)/);
    expect(() => loadAnomalyTable(write('syntax.yaml', 'version: 1\ncodes: [\n'))).toThrow(/invalid YAML at line/);
  });

  it('accepts a table given as data, texts being optional', () => {
    const t = parseAnomalyTable({ version: '2024-01', codes: { CTRL_DEM_0001: { retryable: true, meaning: 'm' } } });
    expect(t).toMatchObject({ version: '2024-01', texts: [] });
  });
});

describe('classifyAnomalies', () => {
  const table = parseAnomalyTable({
    version: 3,
    codes: {
      CTRL_DEM_0030: { retryable: false, meaning: 'mandatory field missing' },
      CTRL_DEM_0090: { retryable: true, meaning: 'demand locked' },
      CTRL_DEM_0099: { retryable: true, meaning: 'temporary error' },
    },
    texts: [{ code: 'SNE_UNEXPECTED_ERROR', match: 'Une erreur inattendue est survenue', retryable: false, meaning: 'generic error' }],
  });
  const a = (code: string, message = 'Le demandeur Zoé Testé né le 01/02/1980 : donnée invalide'): SneAnomaly => ({ code, message, demandeIndex: 0 });

  it('returns nothing when there is no anomaly', () => {
    expect(classifyAnomalies([], table)).toBeUndefined();
  });

  it('parks a CTRL_DEM anomaly as permanent with its code', () => {
    const e = classifyAnomalies([a('CTRL_DEM_0030')], table, { operation: 'getNumUnique' });
    expect(e).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent', system: 'sne' });
    expect(e?.details).toEqual({
      operation: 'getNumUnique',
      count: 1,
      codes: ['CTRL_DEM_0030'],
      unknownCodes: [],
      meanings: ['CTRL_DEM_0030: mandatory field missing'],
      tableVersion: '3',
    });
    expect(e?.message).toBe('SNE getNumUnique: 1 anomaly(ies) in the answer: CTRL_DEM_0030');
  });

  it('is transient only when every anomaly is known and retryable', () => {
    expect(classifyAnomalies([a('CTRL_DEM_0090'), a('CTRL_DEM_0099')], table)?.errorClass).toBe('transient');
    expect(classifyAnomalies([a('CTRL_DEM_0090'), a('CTRL_DEM_0030')], table)?.errorClass).toBe('permanent');
    expect(classifyAnomalies([a('CTRL_DEM_0090'), a('CTRL_DEM_7777')], table)?.errorClass).toBe('permanent');
  });

  it('parks an unknown code as permanent and reports it as sent, without crashing', () => {
    const e = classifyAnomalies([a('CTRL_DEM_7777'), a('CTRL_DEM_7777'), a('CODE\u0000BIZARRE')], table);
    expect(e).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent' });
    expect(e?.details.codes).toEqual(['CTRL_DEM_7777', 'CODE?BIZARRE']);
    expect(e?.details.unknownCodes).toEqual(['CTRL_DEM_7777', 'CODE?BIZARRE']);
    expect(e?.message).toContain('not in anomaly table v3: CTRL_DEM_7777, CODE?BIZARRE');
  });

  it('recognises the generic unexpected-error text of an anomaly without code', () => {
    const e = classifyAnomalies([a('', 'Une erreur inattendue est survenue lors du traitement de la demande.')], table);
    expect(e?.details).toMatchObject({ codes: ['SNE_UNEXPECTED_ERROR'], unknownCodes: [] });
    expect(classifyAnomalies([a('', 'autre chose')], table)?.details.codes).toEqual(['(no code)']);
  });

  it('never copies the service message, which may quote personal data, into the error', () => {
    const e = classifyAnomalies([a('CTRL_DEM_0030'), a('CTRL_DEM_1234')], table);
    const json = JSON.stringify(e?.toJSON());
    expect(json).not.toContain('Zoé');
    expect(json).not.toContain('1980');
  });
});
