import {
  exceedsDelaiAnormalementLong,
  hasDaloLabel,
  isExpiredNotRadiated,
  isRenewalDue,
  isRetentionExceeded,
  type Demande,
} from '../../src/domain';
import { Check, dayIn, demandeChecks, factsOf, isAttributionReportOverdue } from '../../src/reconcile';
import { monthsBetween, radiationOf } from '../../src/reconcile/rules';
import { generateDemandes } from '../../src/synthetic';

const TODAY = '2025-03-14';

describe('the regulatory checks on a demand’s facts', () => {
  const demandes = generateDemandes({ count: 600, seed: 'reconcile-rules', today: TODAY });

  it('judge a record read as JSON exactly as the domain rules judge the whole demand', () => {
    for (const d of demandes) {
      const facts = factsOf(JSON.parse(JSON.stringify(d)))!;
      const hits = new Set(demandeChecks(facts, { today: TODAY, delaiAnormalementLongMonths: 24 }).map((h) => h.check));
      expect({ nu: d.numUnique, renewal: hits.has(Check.renewalDue) }).toEqual({ nu: d.numUnique, renewal: isRenewalDue(d, TODAY, 30) });
      expect(hits.has(Check.expiredNotRadiated)).toBe(isExpiredNotRadiated(d, TODAY));
      expect(hits.has(Check.delaiAnormalementLong)).toBe(exceedsDelaiAnormalementLong(d, TODAY, 24) && !hasDaloLabel(d));
      expect(hits.has(Check.retentionExceeded)).toBe(isRetentionExceeded(d, TODAY));
    }
    // The generated set covers the checks (otherwise the comparison above proves little).
    const all = demandes.flatMap((d) => demandeChecks(factsOf(d)!, { today: TODAY, delaiAnormalementLongMonths: 24 }).map((h) => h.check));
    expect(new Set(all)).toEqual(new Set([Check.renewalDue, Check.expiredNotRadiated, Check.delaiAnormalementLong]));
  });

  it('flags a demand kept more than a year after its radiation, with the day it should have been erased', () => {
    const d = { ...demandes[0]!, radiation: { motif: 'RADABA', date: '2024-02-01' } } as Demande;
    expect(demandeChecks(factsOf(d)!, { today: TODAY, delaiAnormalementLongMonths: 24 })).toEqual([
      { check: Check.retentionExceeded, data: { dateRadiation: '2024-02-01', eraseBy: '2025-02-01', motif: 'RADABA' } },
    ]);
  });

  it('does not count a DALO label’s holder as waiting abnormally long', () => {
    const d = { ...demandes[0]!, radiation: undefined, dateCreationDemande: '2020-01-01', dateDernierRenouvellement: '2025-01-01', labels: [] } as Demande;
    const checks = (x: Demande) => demandeChecks(factsOf(x)!, { today: TODAY, delaiAnormalementLongMonths: 24 }).map((h) => h.check);
    expect(checks(d)).toEqual([Check.delaiAnormalementLong]);
    expect(checks({ ...d, labels: [{ source: 'DALO', date: '2021-01-01' }] })).toEqual([]);
    expect(checks({ ...d, dalo: { statut: 'ACTIF' } })).toEqual([]);
  });

  it('reads only well-shaped facts, and nothing from a record without a filing date', () => {
    expect(factsOf({ dateCreationDemande: 'hier' })).toBeUndefined();
    expect(factsOf(null)).toBeUndefined();
    expect(factsOf({ dateCreationDemande: '2024-01-01', radiation: { motif: 'RADATT' }, labels: [{ source: 'DALO' }, 'x'] })).toEqual({
      dateCreationDemande: '2024-01-01',
      labels: [],
    });
  });

  it('counts whole months and the radiation motif a source shows', () => {
    expect(monthsBetween('2022-06-01', '2025-03-14')).toBe(33);
    expect(monthsBetween('2022-06-15', '2025-03-14')).toBe(32);
    expect(radiationOf({ radiation: { motif: 'RADATT', date: '2025-01-01' } })).toBe('RADATT');
    expect(radiationOf({ radiation: { motif: '', date: '2025-01-01' } })).toBeUndefined();
    expect(radiationOf(undefined)).toBeUndefined();
  });

  it('holds an attribution report overdue N days after the lease unless the source shows RADATT', () => {
    expect(isAttributionReportOverdue('2025-01-10', TODAY, 30, undefined)).toBe(true);
    expect(isAttributionReportOverdue('2025-01-10', TODAY, 30, 'RADABA')).toBe(true);
    expect(isAttributionReportOverdue('2025-01-10', TODAY, 30, 'RADATT')).toBe(false);
    expect(isAttributionReportOverdue('2025-02-12', TODAY, 30, undefined)).toBe(false);
    expect(isAttributionReportOverdue('2025-02-11', TODAY, 30, undefined)).toBe(true);
  });

  it('takes "today" in the EPCI’s time zone', () => {
    expect(dayIn(new Date('2025-03-13T23:30:00Z'), 'Europe/Paris')).toBe('2025-03-14');
    expect(dayIn(new Date('2025-03-13T23:30:00Z'), 'UTC')).toBe('2025-03-13');
  });
});
