/**
 * The synthetic generator: deterministic and addressable by index, always valid and canonical, with
 * plausible proportions and internally consistent households, dates and numbers.
 */
import {
  addMonths,
  codesOf,
  daysBetween,
  Demande,
  expiryDate,
  NUM_UNIQUE_USUAL,
  validateDemande,
  type Demande as DemandeT,
} from '../../src/domain';
import { ValidationError } from '../../src/errors';
import {
  CORSICA_PERIOD,
  DEFAULT_TODAY,
  generateDemande,
  generateDemandes,
  iterateDemandes,
  territories,
} from '../../src/synthetic';
import { nameGroups } from '../../src/synthetic/names';

const N = 10_000;
const TODAY = DEFAULT_TODAY;
const big: DemandeT[] = generateDemandes({ count: N, seed: 20250314 });

const share = (pred: (d: DemandeT) => boolean, set: readonly DemandeT[] = big) => set.filter(pred).length / set.length;
const rooms = (t: string) => (t === 'C' ? 1 : t === 'T6P' ? 6 : Number(t.slice(1)));
const TAXABLE = new Set(['SAL', 'RET', 'CHO', 'PAR', 'PINV', 'AUT']);

/**
 * Runs a check over many demands and returns the first violations as `index: rule` (one `expect` per
 * demand would be slow on 10,000 and would stop at the first).
 */
function violations(set: readonly DemandeT[], check: (d: DemandeT, fail: (rule: string) => void) => void): string[] {
  const out: string[] = [];
  set.forEach((d, i) => check(d, (rule) => out.length < 10 && out.push(`${i}: ${rule}`)));
  return out;
}

describe('determinism and addressing', () => {
  it('gives the same demands for the same seed, and different ones for another seed', () => {
    const a = generateDemandes({ count: 200, seed: 'alpha' });
    const b = generateDemandes({ count: 200, seed: 'alpha' });
    const c = generateDemandes({ count: 200, seed: 'beta' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const same = a.filter((d, i) => JSON.stringify(d) === JSON.stringify(c[i])).length;
    expect(same).toBe(0);
  });

  it('treats a numeric seed and its decimal string as the same seed', () => {
    expect(generateDemandes({ count: 5, seed: 42 })).toEqual(generateDemandes({ count: 5, seed: '42' }));
  });

  it('produces demand i identically from the array, the iterator and the single-index function', () => {
    const opts = { seed: 7, territory: 'pays-ajaccien' as const, today: '2024-11-02' };
    const array = generateDemandes({ ...opts, count: 30, startIndex: 1000 });
    const iterated = [...iterateDemandes({ ...opts, count: 30, startIndex: 1000 })];
    const single = array.map((_, i) => generateDemande(opts.seed, 1000 + i, opts));
    expect(iterated).toEqual(array);
    expect(single).toEqual(array);
  });

  it('addresses demands by absolute index whatever the start of the range', () => {
    const whole = generateDemandes({ count: 60, seed: 3 });
    expect(generateDemandes({ count: 20, seed: 3, startIndex: 40 })).toEqual(whole.slice(40));
  });

  it('streams a large range lazily without building it first', () => {
    const it = iterateDemandes({ count: 300_000, seed: 1 });
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value).toEqual(generateDemande(1, 0));
  });

  it('depends on the reference day and the mode, never on the wall clock', () => {
    const a = generateDemande(5, 9, { today: '2025-01-01' });
    const b = generateDemande(5, 9, { today: '2026-01-01' });
    expect(a).not.toEqual(b);
    expect(generateDemande(5, 9)).toEqual(generateDemande(5, 9, { today: TODAY }));
  });

  it('rejects unknown territories, impossible days and negative ranges before generating anything', () => {
    expect(() => generateDemande(1, 0, { territory: 'atlantis' })).toThrow(ValidationError);
    expect(() => generateDemande(1, 0, { today: '2025-02-30' })).toThrow(ValidationError);
    expect(() => iterateDemandes({ count: -1, seed: 1 })).toThrow(ValidationError);
    expect(() => generateDemande(1, 1.5)).toThrow(ValidationError);
  });
});

describe('validity', () => {
  const others = [
    ...generateDemandes({ count: 1000, seed: 11, territory: 'pays-ajaccien' }),
    ...generateDemandes({ count: 1000, seed: 12, mode: 'creation' }),
    ...generateDemandes({ count: 500, seed: 13, today: '2024-02-29' }),
  ];

  it('passes validateDemande with zero warnings on 10,000 demands and the other modes', () => {
    const failures: string[] = [];
    for (const [i, d] of [...big, ...others].entries()) {
      const r = validateDemande(d);
      if (!r.ok) failures.push(`${i}: ${JSON.stringify(r.issues)}`);
      else if (r.warnings.length) failures.push(`${i}: ${JSON.stringify(r.warnings)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('is already canonical: parsing changes neither keys, order nor lists', () => {
    const bad = violations([...big.slice(0, 2000), ...others], (d, fail) => {
      if (JSON.stringify(Demande.parse(d)) !== JSON.stringify(d)) fail('not canonical');
    });
    expect(bad).toEqual([]);
  });
});

describe('distributions (broad bounds)', () => {
  it('has about 40 % people alone, about 30 % couples and a third with dependants', () => {
    expect(share((d) => d.cotitulaires.length === 0 && d.personnesACharge.length === 0)).toBeGreaterThan(0.33);
    expect(share((d) => d.cotitulaires.length === 0 && d.personnesACharge.length === 0)).toBeLessThan(0.47);
    expect(share((d) => d.cotitulaires.some((c) => c.lienDemandeur !== 'L'))).toBeGreaterThan(0.2);
    expect(share((d) => d.cotitulaires.some((c) => c.lienDemandeur !== 'L'))).toBeLessThan(0.4);
    expect(share((d) => d.personnesACharge.length > 0)).toBeGreaterThan(0.3);
    expect(share((d) => d.personnesACharge.length > 0)).toBeLessThan(0.6);
  });

  it('has radiated, expired, DALO, disability, unborn and custody cases in plausible shares', () => {
    const radiated = share((d) => d.radiation !== undefined);
    expect(radiated).toBeGreaterThan(0.1);
    expect(radiated).toBeLessThan(0.3);
    const expired = share((d) => !d.radiation && expiryDate(d) < TODAY);
    expect(expired).toBeGreaterThan(0.005);
    expect(expired).toBeLessThan(0.08);
    const dalo = share((d) => d.dalo !== undefined && d.dalo.statut !== 'NON');
    expect(dalo).toBeGreaterThan(0.01);
    expect(dalo).toBeLessThan(0.1);
    expect(share((d) => d.handicap !== undefined)).toBeGreaterThan(0.03);
    expect(share((d) => d.handicap !== undefined)).toBeLessThan(0.15);
    expect(share((d) => d.personneANaitre !== undefined)).toBeGreaterThan(0.003);
    expect(share((d) => d.personnesEnGarde.length > 0)).toBeGreaterThan(0.01);
    expect(share((d) => d.demandeur.nationalite === '1')).toBeGreaterThan(0.7);
    expect(share((d) => d.demandeur.nationalite === '1')).toBeLessThan(0.92);
  });

  it('uses every radiation motif, RADIRR always with a sub-motif', () => {
    const motifs = new Set(big.flatMap((d) => (d.radiation ? [d.radiation.motif] : [])));
    expect([...motifs].sort()).toEqual(codesOf('motifRadiation').sort());
    const irr = big.filter((d) => d.radiation?.motif === 'RADIRR');
    expect(irr.every((d) => d.radiation!.sousMotif === 'IRRSEJ' || d.radiation!.sousMotif === 'IRRRES')).toBe(true);
    expect(big.every((d) => d.radiation?.motif === 'RADIRR' || d.radiation?.sousMotif === undefined)).toBe(true);
  });

  it('uses every motive, every current-housing model but the rarest, every link and every DALO status', () => {
    const motifs = new Set(big.flatMap((d) => d.motifs.map((m) => m.code)));
    expect([...motifs].sort()).toEqual(codesOf('motifDemande').sort());
    const models = new Set(big.flatMap((d) => d.logementActuel?.modeles ?? []));
    expect(models.size).toBeGreaterThanOrEqual(codesOf('modeleLogement').length - 1);
    const links = new Set(big.flatMap((d) => d.cotitulaires.map((c) => c.lienDemandeur)));
    expect([...links].sort()).toEqual(['C', 'L', 'M', 'P']);
    const statuts = new Set(big.flatMap((d) => (d.dalo ? [d.dalo.statut] : [])));
    expect([...statuts].sort()).toEqual(codesOf('statutDalo').sort());
    const resources = new Set(big.flatMap((d) => d.demandeur.ressourcesRecues.map((r) => r.code)));
    for (const code of ['SAL', 'AF', 'RSA', 'AAH', 'RET', 'CHO', 'PAJE', 'PAR', 'BE', 'AMV']) expect(resources).toContain(code);
  });

  it('spreads filing dates over about eight years before the reference day', () => {
    const years = big.map((d) => daysBetween(d.dateCreationDemande, TODAY) / 365.25);
    expect(Math.max(...years)).toBeGreaterThan(6);
    expect(Math.max(...years)).toBeLessThan(10);
    expect(Math.min(...years)).toBeGreaterThanOrEqual(0);
    expect(share((d) => d.dateDernierRenouvellement !== undefined)).toBeGreaterThan(0.3);
  });

  it('sends motif 23 with a free-text precision, and only motif 23', () => {
    expect(share((d) => d.motifs.some((m) => m.code === '23'))).toBeGreaterThan(0.02);
    const bad = violations(big, (d, fail) => {
      for (const m of d.motifs) if ((m.precision !== undefined) !== (m.code === '23')) fail(`precision with ${m.code}`);
      if (new Set(d.motifs.map((m) => m.code)).size !== d.motifs.length) fail('repeated motive');
      if (d.motifs.length < 1 || d.motifs.length > 3) fail('1 to 3 motives');
    });
    expect(bad).toEqual([]);
  });

  it('adds motif 07 to every demand with a disability block', () => {
    const bad = violations(big, (d, fail) => {
      if (d.handicap && !d.motifs.some((m) => m.code === '07')) fail('handicap without 07');
    });
    expect(bad).toEqual([]);
  });
});

describe('households', () => {
  it('counts the household as the inhabitants of the current dwelling', () => {
    const bad = violations(big, (d, fail) => {
      if (d.logementActuel?.nombreHabitant !== 1 + d.cotitulaires.length + d.personnesACharge.length) fail('nombreHabitant');
    });
    expect(bad).toEqual([]);
  });

  it('wants dwelling types that fit the household size', () => {
    const bad = violations(big, (d, fail) => {
      const lower = 1 + d.cotitulaires.length + d.personnesACharge.length;
      const upper = lower + (d.personneANaitre?.nombre ?? 0) + d.personnesEnGarde.length;
      const wanted = d.logementRecherche.typesLogement.map(rooms);
      if (Math.min(...wanted) < Math.ceil(lower / 2)) fail(`too small for ${lower}`);
      if (Math.max(...wanted) > upper + 1) fail(`too large for ${upper}`);
      if (new Set(d.logementRecherche.typesLogement).size !== wanted.length) fail('repeated type');
      if (d.logementRecherche.typesLogement.includes('C') && daysBetween(d.demandeur.dateNaissance, TODAY) / 365.25 > 31) fail('room at 31+');
    });
    expect(bad).toEqual([]);
  });

  it('keeps family situations consistent with the co-holder link', () => {
    const expected: Record<string, string> = { M: 'M', P: 'P', C: 'U' };
    const bad = violations(big, (d, fail) => {
      const c = d.cotitulaires[0];
      if (c && c.lienDemandeur !== 'L') {
        if (d.demandeur.situationFamiliale !== expected[c.lienDemandeur]) fail('applicant situation');
        if (c.situationFamiliale !== expected[c.lienDemandeur]) fail('co-holder situation');
      } else if (!['C', 'D', 'S', 'V'].includes(d.demandeur.situationFamiliale ?? '')) {
        fail('single situation');
      }
    });
    expect(bad).toEqual([]);
  });

  it('gives first names that match the civilité', () => {
    const female = new Set(nameGroups.flatMap((g) => g.female));
    const male = new Set(nameGroups.flatMap((g) => g.male));
    const bad = violations(big, (d, fail) => {
      for (const p of [d.demandeur, ...d.cotitulaires]) {
        if (!(p.civilite === '1' ? male.has(p.prenom) : female.has(p.prenom))) fail(`civilite ${p.civilite}`);
      }
    });
    expect(bad).toEqual([]);
  });

  it('has adults aged 18 to 95, adult at filing, children younger than their parents and parents older', () => {
    const years = (from: string, to: string) => daysBetween(from, to) / 365.25;
    const bad = violations(big, (d, fail) => {
      // Ages are those of the situation: today, or the radiation date for a radiated demand.
      const ref = d.radiation?.date ?? TODAY;
      const age = years(d.demandeur.dateNaissance, ref);
      if (age < 18 || age >= 96) fail(`applicant aged ${age}`);
      if (addMonths(d.demandeur.dateNaissance, 12 * 18) > d.dateCreationDemande) fail('minor at filing');
      const parents = d.cotitulaires[0]?.lienDemandeur === 'L' ? [d.demandeur] : [d.demandeur, ...d.cotitulaires];
      for (const c of d.cotitulaires) if (years(c.dateNaissance, ref) < 18) fail('minor co-holder');
      for (const p of d.personnesACharge) {
        if (p.dateNaissance >= ref) fail('dependant not born');
        if (p.lienParente === 'E' && parents.some((a) => years(a.dateNaissance, p.dateNaissance) < 16)) fail('parent too young');
        if (p.lienParente === 'P' && years(p.dateNaissance, d.demandeur.dateNaissance) < 15) fail('parent younger');
      }
      for (const g of d.personnesEnGarde) {
        if (years(g.dateNaissance, ref) >= 18) fail('adult in custody');
        if (years(d.demandeur.dateNaissance, g.dateNaissance) < 16) fail('custody parent too young');
      }
      if (d.personneANaitre?.dateNaissancePrevue && d.personneANaitre.dateNaissancePrevue <= ref) fail('unborn already born');
    });
    expect(bad).toEqual([]);
  });

  it('declares tax income consistent with the taxable monthly resources', () => {
    const bad = violations(big, (d, fail) => {
      for (const p of [d.demandeur, ...d.cotitulaires]) {
        if (new Set(p.ressourcesRecues.map((r) => r.code)).size !== p.ressourcesRecues.length) fail('repeated resource');
        if (!p.revenuFiscal) continue;
        const monthly =
          p.ressourcesRecues.filter((r) => TAXABLE.has(r.code)).reduce((n, r) => n + r.montant, 0) -
          p.ressourcesVersees.reduce((n, r) => n + r.montant, 0);
        const yearly = Math.max(0, monthly) * 12;
        const n1 = p.revenuFiscal.montantMoins1!;
        if (n1 > yearly || n1 < Math.floor(yearly * 0.7)) fail(`N-1 ${n1} for ${yearly}`);
        if (p.revenuFiscal.anneeMoins1 !== p.revenuFiscal.anneeMoins2! + 1) fail('years');
        if (p.revenuFiscal.anneeMoins1 !== Number((d.radiation?.date ?? TODAY).slice(0, 4)) - 1) fail('year N-1');
      }
    });
    expect(bad).toEqual([]);
  });
});

describe('dates and life cycle', () => {
  it('keeps active demands unexpired, expired ones recent, and radiations within the last year after filing', () => {
    const bad = violations(big, (d, fail) => {
      const filed = d.dateCreationDemande;
      if (filed > TODAY) fail('filed in the future');
      const renewed = d.dateDernierRenouvellement;
      if (renewed && (renewed <= filed || renewed > TODAY)) fail('renewal date');
      const r = d.radiation;
      if (!r) {
        if (daysBetween(expiryDate(d), TODAY) > 61) fail('expired long ago and not radiated');
        return;
      }
      if (r.date <= filed || r.date > TODAY) fail('radiation date');
      if (daysBetween(r.date, TODAY) >= 366) fail('radiated more than a year ago');
      if (renewed && renewed >= r.date) fail('renewed after radiation');
      if (r.motif === 'RADREN' ? expiryDate(d) >= r.date : expiryDate(d) < r.date) fail(`${r.motif} vs expiry`);
    });
    expect(bad).toEqual([]);
  });

  it('dates labels and DALO decisions between filing and the situation date', () => {
    const bad = violations(big, (d, fail) => {
      const end = d.radiation?.date ?? TODAY;
      for (const l of d.labels) if (l.date < d.dateCreationDemande || l.date > end) fail(`label ${l.source}`);
      if (d.dalo?.dateDecision && !d.labels.some((l) => l.source === 'DALO' && l.date === d.dalo!.dateDecision)) fail('DALO label');
      if (d.dalo?.statut === 'ACTREL' && d.radiation?.motif !== 'RADATT') fail('ACTREL not rehoused');
    });
    expect(bad).toEqual([]);
  });
});

describe('identifiers, places and contacts', () => {
  it('numbers demands in the usual 18-character layout, unique, with the filing month and year and the desk', () => {
    const seen = new Set<string>();
    const bad = violations(big, (d, fail) => {
      const n = d.numUnique ?? '';
      if (!NUM_UNIQUE_USUAL.test(n) || n.length !== 18) fail('layout');
      if (n.slice(0, 3) !== '035') fail('territory');
      if (n.slice(3, 5) !== d.dateCreationDemande.slice(5, 7) || n.slice(5, 7) !== d.dateCreationDemande.slice(2, 4)) fail('month/year');
      if (n.slice(13) !== d.numGuichet) fail('desk');
      seen.add(n);
    });
    expect(bad).toEqual([]);
    expect(seen.size).toBe(N);
    expect(generateDemande(1, 0, { territory: 'pays-ajaccien' }).numUnique!.slice(0, 3)).toBe('020');
  });

  it('leaves the numéro unique out in creation mode, with a filing date of the last days', () => {
    for (const d of generateDemandes({ count: 200, seed: 4, mode: 'creation' })) {
      expect(d.numUnique).toBeUndefined();
      expect(d.radiation).toBeUndefined();
      expect(d.dateDernierRenouvellement).toBeUndefined();
      expect(daysBetween(d.dateCreationDemande, TODAY)).toBeLessThanOrEqual(10);
      expect(territories['rennes-metropole'].desks.map((k) => k.code)).toContain(d.numGuichet);
    }
  });

  it('wants 1 to 10 distinct communes of the territory', () => {
    for (const key of ['rennes-metropole', 'pays-ajaccien'] as const) {
      const codes = new Set(territories[key].communes.map((c) => c.insee));
      const set = key === 'rennes-metropole' ? big : generateDemandes({ count: 1000, seed: 9, territory: key });
      const bad = violations(set, (d, fail) => {
        const wanted = d.logementRecherche.communes;
        if (wanted.length < 1 || wanted.length > 10) fail('count');
        if (new Set(wanted).size !== wanted.length) fail('repeated commune');
        if (!wanted.every((c) => codes.has(c))) fail('outside the territory');
      });
      expect(bad).toEqual([]);
    }
    expect(new Set(big.map((d) => d.logementRecherche.communes.length)).size).toBe(10);
  });

  it('has Corsican INSEE codes in the default territory, from the sixth demand on', () => {
    const corsican = (d: DemandeT) => /^2[AB]\d{3}$/.test(d.demandeur.adressePostale?.commune?.code ?? '');
    expect(generateDemandes({ count: 6, seed: 99 }).some(corsican)).toBe(true);
    expect(generateDemandes({ count: CORSICA_PERIOD, seed: 99, startIndex: 777 }).some(corsican)).toBe(true);
    expect(share(corsican)).toBeGreaterThan(0.01);
    expect(share(corsican)).toBeLessThan(0.05);
  });

  it('writes names with accents, apostrophes, spaces and hyphens', () => {
    const names = big.flatMap((d) => [d.demandeur, ...d.cotitulaires].flatMap((p) => [p.nom, p.prenom]));
    expect(names.some((n) => /[éèêëïîôöüçàâ]/i.test(n))).toBe(true);
    expect(names.some((n) => /[^ -~\u00a0-\u00ff]/.test(n))).toBe(true);
    for (const pattern of [/'/, / /, /-/]) expect(names.some((n) => pattern.test(n))).toBe(true);
    const first20 = generateDemandes({ count: 20, seed: 42 });
    expect(first20.some((d) => /[^ -~]/.test(d.demandeur.nom + d.demandeur.prenom))).toBe(true);
  });

  it('uses reserved email domains, fiction phone numbers and no NIR-like number anywhere', () => {
    const nir = /(?<!\d)[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}(?: ?\d{2})?(?!\d)/;
    const bad = violations(big, (d, fail) => {
      if (d.demandeur.mel && !/^[a-z0-9.-]+@(example\.(org|net|com)|exemple\.test)$/.test(d.demandeur.mel)) fail('email');
      if (d.demandeur.telPortable && !/^06 39 98 \d{2} \d{2}$/.test(d.demandeur.telPortable)) fail('phone');
      if (nir.test(JSON.stringify(d))) fail('NIR-like number');
    });
    expect(bad).toEqual([]);
    expect(big.some((d) => d.demandeur.mel) && big.some((d) => d.demandeur.telPortable)).toBe(true);
  });

  it('keeps whole-euro amounts within plausible monthly ranges', () => {
    const bad = violations(big, (d, fail) => {
      for (const r of [...d.demandeur.ressourcesRecues, ...d.cotitulaires.flatMap((c) => c.ressourcesRecues)]) {
        if (!Number.isInteger(r.montant) || r.montant <= 0 || r.montant >= 5000) fail(`${r.code} amount`);
      }
      const rent = d.logementActuel?.montantMensuelLoyer;
      if (rent !== undefined && rent >= 2000) fail('rent');
    });
    expect(bad).toEqual([]);
  });
});
