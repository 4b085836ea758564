/** `personalValuesOf`: what other tests look for in logs, metrics and Redis. */
import { generateDemandes, personalValuesOf } from '../../src/synthetic';

describe('personalValuesOf', () => {
  const demandes = generateDemandes({ count: 300, seed: 'pv' });

  it('lists the names, birth dates, contacts, address, amounts and free texts of a demand', () => {
    for (const d of demandes) {
      const values = personalValuesOf(d);
      const expected = [
        d.demandeur.nom,
        d.demandeur.prenom,
        d.demandeur.dateNaissance,
        ...d.cotitulaires.flatMap((c) => [c.nom, c.prenom, c.dateNaissance, ...(c.nomPatronymique ? [c.nomPatronymique] : [])]),
        ...d.personnesACharge.flatMap((p) => [p.nom, p.prenom, p.dateNaissance]),
        ...d.personnesEnGarde.map((g) => g.dateNaissance),
        ...(d.demandeur.telPortable ? [d.demandeur.telPortable, d.demandeur.telPortable.replace(/ /g, '')] : []),
        ...(d.demandeur.mel ? [d.demandeur.mel] : []),
        ...(d.demandeur.adressePostale?.voie ? [d.demandeur.adressePostale.voie] : []),
        ...d.demandeur.ressourcesRecues.map((r) => String(r.montant)),
        ...(d.demandeur.revenuFiscal?.montantMoins1 ? [String(d.demandeur.revenuFiscal.montantMoins1)] : []),
        ...d.motifs.flatMap((m) => (m.precision ? [m.precision] : [])),
      ];
      expect(values).toEqual(expect.arrayContaining(expected));
    }
  });

  it('returns distinct, non-empty values, never codes, zero amounts or commune codes alone', () => {
    for (const d of demandes) {
      const values = personalValuesOf(d);
      expect(new Set(values).size).toBe(values.length);
      expect(values).not.toContain('');
      expect(values).not.toContain('0');
      expect(values).not.toContain(d.numGuichet);
      for (const c of d.logementRecherche.communes) expect(values).not.toContain(c);
    }
  });

  it('finds a demand’s values in a text that leaks it, and none of them in one that does not', () => {
    const d = demandes.find((x) => x.motifs.some((m) => m.precision) && x.demandeur.mel)!;
    const a = d.demandeur.adressePostale!;
    const leaked = `job failed for ${JSON.stringify(d)}; letter sent to ${a.numero} ${a.voie}`;
    const safe = `job failed for ${d.numUnique} (demandeur.nom: must not be empty [too_small])`;
    const values = personalValuesOf(d).filter((v) => !/^\d+$/.test(v));
    expect(values.every((v) => leaked.includes(v))).toBe(true);
    expect(values.filter((v) => safe.includes(v))).toEqual([]);
  });
});
