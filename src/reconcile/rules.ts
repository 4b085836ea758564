/**
 * The regulatory checks of the reconciliation as pure functions (domain.md §6-§9), on the few facts of a
 * demand they need, read from a canonical record without the zod schema (300,000 records a night).
 *
 * The rules themselves are those of `src/domain/rules.ts`; this module adds the ones that need the local
 * tool's events (attribution reporting) and the cheap reading of a record's facts.
 */
import {
  addMonths,
  daysBetween,
  exceedsDelaiAnormalementLong,
  expiryDate,
  hasDaloLabel,
  isExpiredNotRadiated,
  isRadiee,
  isRenewalDue,
  isRetentionExceeded,
  type Demande,
  type IsoDate,
} from '../domain';
import { Check } from './types';

/** The fields of a demand the regulatory checks read. */
export type DemandeFacts = Pick<
  Demande,
  'dateCreationDemande' | 'dateDernierRenouvellement' | 'dateExpiration' | 'radiation' | 'labels' | 'dalo'
>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (v: unknown): v is string => typeof v === 'string' && DATE.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the facts of a canonical record (a local tool's JSON), checking only their shape. Undefined when
 * the record has no readable filing date (it cannot be judged; the comparison reports it as it is).
 */
export function factsOf(record: unknown): DemandeFacts | undefined {
  if (!isObject(record) || !isDate(record.dateCreationDemande)) return undefined;
  const facts: DemandeFacts = { dateCreationDemande: record.dateCreationDemande, labels: [] };
  if (isDate(record.dateDernierRenouvellement)) facts.dateDernierRenouvellement = record.dateDernierRenouvellement;
  if (isDate(record.dateExpiration)) facts.dateExpiration = record.dateExpiration;
  const r = record.radiation;
  if (isObject(r) && typeof r.motif === 'string' && isDate(r.date)) {
    facts.radiation = { motif: r.motif, date: r.date, ...(typeof r.sousMotif === 'string' ? { sousMotif: r.sousMotif } : {}) };
  }
  if (Array.isArray(record.labels)) {
    for (const l of record.labels) {
      if (isObject(l) && typeof l.source === 'string' && isDate(l.date)) facts.labels.push({ source: l.source, date: l.date });
    }
  }
  const d = record.dalo;
  if (isObject(d) && typeof d.statut === 'string') {
    facts.dalo = { statut: d.statut, ...(isDate(d.dateDecision) ? { dateDecision: d.dateDecision } : {}) };
  }
  return facts;
}

// The domain rules are typed on the whole demand but read only the facts above (a unit test holds
// them to it): a facts object stands in for the demand.
const asDemande = (f: DemandeFacts): Demande => f as Demande;

export interface DemandeCheckOptions {
  today: IsoDate;
  /** territory.delaiAnormalementLongMonths */
  delaiAnormalementLongMonths: number;
  /** Renewal notice window (30 days: "at least one month before"). */
  renewalWithinDays?: number;
}

export interface CheckHit {
  check: Check;
  /** Dates and counts of the procedure (no personal value). */
  data: Record<string, string | number>;
}

/** The regulatory checks that a demand's own content decides. */
export function demandeChecks(facts: DemandeFacts, o: DemandeCheckOptions): CheckHit[] {
  const d = asDemande(facts);
  const out: CheckHit[] = [];
  const expiry = expiryDate(d);
  if (isRenewalDue(d, o.today, o.renewalWithinDays ?? 30)) {
    out.push({ check: Check.renewalDue, data: { dateExpiration: expiry, daysLeft: daysBetween(o.today, expiry) } });
  }
  if (isExpiredNotRadiated(d, o.today)) {
    out.push({ check: Check.expiredNotRadiated, data: { dateExpiration: expiry, daysExpired: daysBetween(expiry, o.today) } });
  }
  if (exceedsDelaiAnormalementLong(d, o.today, o.delaiAnormalementLongMonths) && !hasDaloLabel(d)) {
    out.push({
      check: Check.delaiAnormalementLong,
      data: {
        dateCreationDemande: facts.dateCreationDemande,
        monthsWaiting: monthsBetween(facts.dateCreationDemande, o.today),
        delaiMonths: o.delaiAnormalementLongMonths,
      },
    });
  }
  if (isRetentionExceeded(d, o.today) && facts.radiation) {
    out.push({
      check: Check.retentionExceeded,
      data: { dateRadiation: facts.radiation.date, eraseBy: addMonths(facts.radiation.date, 12), motif: facts.radiation.motif },
    });
  }
  return out;
}

/** Whole months from `a` to `b` (a calendar month counts once its day is reached). */
export function monthsBetween(a: IsoDate, b: IsoDate): number {
  const [ya, ma, da] = a.split('-').map(Number) as [number, number, number];
  const [yb, mb, db] = b.split('-').map(Number) as [number, number, number];
  return (yb - ya) * 12 + (mb - ma) - (db < da ? 1 : 0);
}

/** The radiation motif of a demand as a source shows it: `RADATT`, another motif, or none (active). */
export function radiationOf(facts: Pick<DemandeFacts, 'radiation'> | undefined): string | undefined {
  // An empty motif is how the wire says "reactivated" (domain.md §4): not radiated.
  if (!facts || !isRadiee(facts) || !facts.radiation!.motif) return undefined;
  return facts.radiation!.motif;
}

/**
 * An attribution followed by a signed lease must be reported as a radiation `RADATT` (R441-2-8 a,
 * R441-2-9): overdue when the source still does not show it `days` days after the lease.
 * `sourceMotif` is the source's radiation motif (undefined: not radiated).
 */
export function isAttributionReportOverdue(lease: IsoDate, today: IsoDate, days: number, sourceMotif: string | undefined): boolean {
  return sourceMotif !== 'RADATT' && daysBetween(lease, today) > days;
}

/** The day of an instant in a time zone (`YYYY-MM-DD`): "today" where the EPCI is. */
export function dayIn(at: Date, timeZone: string): IsoDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
