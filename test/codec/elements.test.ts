import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { ValidationError } from '../../src/errors';
import { createInterfaceNuuCodec, defaultElementTablePath, ELEMENT_TABLE_INVALID, loadElementTable, parseElementTable } from '../../src/codec';
import { generate, header } from './support';

describe('the element table of the [open] blocks (mappings/sne/elements.yaml)', () => {
  it('loads the shipped table, marked provisional until the official XSD', () => {
    const table = loadElementTable(defaultElementTablePath);
    expect(table.status).toBe('provisional');
    expect(table.elements.motifs).toEqual({ list: 'listeMotif', item: 'motif', precision: 'precisionMotif' });
    expect(table.elements.radiation).toEqual({ element: 'radiation', motif: 'motifRadiation', sousMotif: 'sousMotifRadiation', date: 'dateRadiation' });
  });

  it('lists every problem of a bad table with its path, and refuses unknown keys', () => {
    const raw = parseYaml(readFileSync(defaultElementTablePath, 'utf8')) as { elements: Record<string, unknown> };
    raw.elements.accordCollectif = 'ns2:accord';
    delete raw.elements.dateExpiration;
    raw.elements.extra = 'x';
    let error: ValidationError | undefined;
    try {
      parseElementTable(stringify(raw));
    } catch (e) {
      error = e as ValidationError;
    }
    expect(error?.code).toBe(ELEMENT_TABLE_INVALID);
    expect(error?.issues.map((i) => i.path).sort()).toEqual(['elements', 'elements.accordCollectif', 'elements.dateExpiration']);
    expect(() => parseElementTable('elements: [')).toThrow(ValidationError);
    expect(() => loadElementTable('/nonexistent/elements.yaml')).toThrow(expect.objectContaining({ code: ELEMENT_TABLE_INVALID }));
  });

  it('drives the names the codec writes and reads: another table, another document, same demands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-table-'));
    try {
      const raw = parseYaml(readFileSync(defaultElementTablePath, 'utf8')) as { elements: Record<string, Record<string, unknown>> };
      raw.elements.radiation!.motif = 'codeMotifRadiation';
      raw.elements.motifs!.list = 'motifsDemande';
      const file = join(dir, 'elements.yaml');
      writeFileSync(file, stringify(raw));
      const codec = createInterfaceNuuCodec({ elements: loadElementTable(file) });
      const demandes = generate(31, 30, true);
      const xml = codec.build({ ...header, demandes });
      expect(xml).toContain('<codeMotifRadiation code=');
      expect(xml).toContain('<motifsDemande>');
      expect(xml).not.toContain('<listeMotif>');
      expect(codec.parse(xml).demandes.map((d) => d.ok && d.demande)).toEqual(demandes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
