/**
 * Writing a data set: SNE file names, one desk per dispatch file, JSON lines, the same bytes for the
 * same options, and XML files that the codec reads back into the very same demands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable, parseInterfaceNuu } from '../../src/codec';
import { ValidationError } from '../../src/errors';
import { fileTimestamp, generateDemandes, sneFileName, writeDataSet, type BuildInterfaceNuu } from '../../src/synthetic';

const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
const buildXml: BuildInterfaceNuu = (input) => buildInterfaceNuu(input, codec);
const dirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-files-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const read = (dir: string) => fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')] as const);

describe('file names and time stamps', () => {
  it('names dispatch files DEM<guichet>-<YYYYMMDDHHMM>-<6-digit counter>.xml', () => {
    expect(sneFileName('G3501', '202503140300', 7)).toBe('DEMG3501-202503140300-000007.xml');
    expect(() => sneFileName('G3501', '202503140300', 1_000_000)).toThrow(ValidationError);
  });

  it('stamps files at 03:00 Paris time, with the winter or summer offset', () => {
    expect(fileTimestamp('2025-03-14')).toEqual({ stamp: '202503140300', dateFichier: '2025-03-14T03:00:00.0+01:00' });
    expect(fileTimestamp('2025-03-30').dateFichier).toMatch(/\+02:00$/);
    expect(fileTimestamp('2025-03-29').dateFichier).toMatch(/\+01:00$/);
    expect(fileTimestamp('2025-10-25').dateFichier).toMatch(/\+02:00$/);
    expect(fileTimestamp('2025-10-26').dateFichier).toMatch(/\+01:00$/);
    expect(fileTimestamp('2025-07-01').dateFichier).toMatch(/\+02:00$/);
  });
});

describe('writeDataSet', () => {
  it('writes canonical JSON lines in index order, per-file demands per file', () => {
    const dir = tmpDir();
    const files = writeDataSet({ count: 25, seed: 42, outDir: dir, perFile: 10, format: 'json' });
    expect(files).toEqual([
      { name: 'demandes-000001.jsonl', demandes: 10 },
      { name: 'demandes-000002.jsonl', demandes: 10 },
      { name: 'demandes-000003.jsonl', demandes: 5 },
    ]);
    const lines = read(dir).flatMap(([, text]) => text.trim().split('\n'));
    expect(lines).toEqual(generateDemandes({ count: 25, seed: 42 }).map((d) => JSON.stringify(d)));
  });

  it('groups demands by desk into XML dispatch files the codec reads back unchanged', () => {
    const dir = tmpDir();
    const files = writeDataSet({ count: 120, seed: 5, outDir: dir, perFile: 15, format: 'xml', buildXml });
    expect(files.reduce((n, f) => n + f.demandes, 0)).toBe(120);
    const counters = files.map((f) => Number(/-(\d{6})\.xml$/.exec(f.name)![1]));
    expect(counters).toEqual(files.map((_, i) => i + 1));
    const expected = new Map(generateDemandes({ count: 120, seed: 5 }).map((d) => [d.numUnique!, d]));
    for (const [name, xml] of read(dir)) {
      expect(name).toMatch(/^DEM(G\d{4}|GDPUB)-202503140300-\d{6}\.xml$/);
      const parsed = parseInterfaceNuu(xml, codec);
      expect(parsed.problems).toEqual([]);
      expect(parsed.entete).toEqual({ typeFichier: 'DIS', dateFichier: '2025-03-14T03:00:00.0+01:00' });
      expect(parsed.demandes.length).toBeLessThanOrEqual(15);
      for (const r of parsed.demandes) {
        if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.issues)}`);
        expect(r.warnings).toEqual([]);
        expect(`DEM${r.demande.numGuichet}`).toBe(name.slice(0, 8));
        expect(r.demande).toEqual(expected.get(r.demande.numUnique!));
      }
    }
  });

  it('types creation files CRE and writes their demands without numéro unique', () => {
    const dir = tmpDir();
    writeDataSet({ count: 12, seed: 5, outDir: dir, format: 'xml', buildXml, mode: 'creation' });
    for (const [, xml] of read(dir)) {
      const parsed = parseInterfaceNuu(xml, codec);
      expect(parsed.entete.typeFichier).toBe('CRE');
      for (const r of parsed.demandes) expect(r.ok && r.demande.numUnique === undefined).toBe(true);
    }
  });

  it('writes the same bytes for the same options', () => {
    const a = tmpDir();
    const b = tmpDir();
    writeDataSet({ count: 40, seed: 'same', outDir: a, perFile: 7, format: 'xml', buildXml, territory: 'pays-ajaccien' });
    writeDataSet({ count: 40, seed: 'same', outDir: b, perFile: 7, format: 'xml', buildXml, territory: 'pays-ajaccien' });
    expect(read(a)).toEqual(read(b));
  });

  it('refuses bad options before writing anything', () => {
    const dir = path.join(tmpDir(), 'never');
    expect(() => writeDataSet({ count: 5, seed: 1, outDir: dir, format: 'xml' })).toThrow(ValidationError);
    expect(() => writeDataSet({ count: 5, seed: 1, outDir: dir, format: 'json', perFile: 0 })).toThrow(ValidationError);
    expect(() => writeDataSet({ count: 5, seed: 1, outDir: dir, format: 'json', territory: 'atlantis' })).toThrow(ValidationError);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
