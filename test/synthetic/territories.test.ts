/** The territory presets: real-shaped INSEE codes of the right department, postcodes, desk codes. */
import { CodeInsee } from '../../src/domain';
import { territories } from '../../src/synthetic';

describe('territory presets', () => {
  it.each(Object.values(territories))('lists the communes of $key with INSEE codes of department $department', (t) => {
    expect(t.communes.length).toBeGreaterThanOrEqual(10);
    expect(new Set(t.communes.map((c) => c.insee)).size).toBe(t.communes.length);
    for (const c of [...t.communes, ...t.elsewhere, ...t.corsica]) {
      expect(CodeInsee.safeParse(c.insee).success).toBe(true);
      expect(c.postcodes.length).toBeGreaterThan(0);
      for (const p of c.postcodes) expect(p).toMatch(/^\d{5}$/);
      expect(c.weight).toBeGreaterThan(0);
    }
    for (const c of t.communes) expect(c.insee.startsWith(t.department)).toBe(true);
    expect(t.numUniqueTerritory).toMatch(/^\d{3}$/);
  });

  it.each(Object.values(territories))('gives $key desks whose codes fit the numéro unique', (t) => {
    for (const d of t.desks) expect(d.code).toMatch(/^G(\d{4}|DPUB)$/);
    expect(t.corsica.map((c) => c.insee)).toEqual(expect.arrayContaining(['2A004', '2B033']));
  });

  it('places the Pays Ajaccien in Corsica (2A) and Rennes Métropole in Ille-et-Vilaine (35)', () => {
    expect(territories['pays-ajaccien'].communes.find((c) => c.name === 'Ajaccio')?.insee).toBe('2A004');
    expect(territories['rennes-metropole'].communes.find((c) => c.name === 'Rennes')?.insee).toBe('35238');
  });
});
