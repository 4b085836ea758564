import { diffFields } from '../../src/reconcile';

describe('the field-by-field comparison', () => {
  const source = { numUnique: 'X', demandeur: { nom: 'DUPONT', adressePostale: { codePostal: '35000' } }, labels: [{ source: 'DALO', date: '2024-01-01' }], motifs: [] };

  it('names the leaves that differ, in canonical paths', () => {
    const local = { numUnique: 'X', demandeur: { nom: 'DUPONT', adressePostale: { codePostal: '35200' } }, labels: [{ source: 'DALO', date: '2024-02-01' }, { source: 'CIA', date: '2024-03-01' }], motifs: [] };
    expect(diffFields(source, local)).toEqual({ paths: ['demandeur.adressePostale.codePostal', 'labels[0].date', 'labels[1]'], truncated: false });
  });

  it('names a block present on one side only once', () => {
    expect(diffFields({ a: 1 }, { a: 1, logementActuel: { surface: 40, typeLogement: 'T2' } }).paths).toEqual(['logementActuel']);
  });

  it('keeps the values only when asked, and never in the paths', () => {
    const local = { ...source, demandeur: { ...source.demandeur, nom: 'DURAND' } };
    const plain = diffFields(source, local);
    expect(JSON.stringify(plain)).not.toContain('DURAND');
    expect(diffFields(source, local, { values: true }).values).toEqual({ 'demandeur.nom': { source: 'DUPONT', local: 'DURAND' } });
  });

  it('stops at the limit and says so', () => {
    const a = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, i + 1]));
    expect(diffFields(a, b, { max: 3 })).toEqual({ paths: ['f0', 'f1', 'f2'], truncated: true });
  });
});
