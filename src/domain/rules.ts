/**
 * Pure business rules on canonical demands (domain.md §7, §9). Dates are `YYYY-MM-DD` strings compared
 * as calendar days in UTC: the rules count days and months, never hours.
 */
import type { Demande, IsoDate } from './demande';

/** Adds months to a calendar date, clamping to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return toIsoDate(new Date(Date.UTC(year, month, Math.min(d, last))));
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return toIsoDate(new Date(t));
}

export function toIsoDate(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** A demand is valid one year from filing or last renewal (R441-2-8); a given expiry date wins. */
export function expiryDate(d: Pick<Demande, 'dateCreationDemande' | 'dateDernierRenouvellement' | 'dateExpiration'>): IsoDate {
  if (d.dateExpiration) return d.dateExpiration;
  return addMonths(d.dateDernierRenouvellement ?? d.dateCreationDemande, 12);
}

/** Radiated: the demand carries a radiation (a reactivation removes it; on the wire it is an empty motif). */
export function isRadiee(d: Pick<Demande, 'radiation'>): boolean {
  return d.radiation !== undefined;
}

/** Active and expiring within `withinDays` days (inclusive), not yet expired. */
export function isRenewalDue(d: Demande, today: IsoDate, withinDays = 30): boolean {
  if (isRadiee(d)) return false;
  const left = daysBetween(today, expiryDate(d));
  return left >= 0 && left <= withinDays;
}

/** Past its expiry and still not radiated: the system manager should radiate it (`RADREN`). */
export function isExpiredNotRadiated(d: Demande, today: IsoDate): boolean {
  return !isRadiee(d) && daysBetween(expiryDate(d), today) > 0;
}

/**
 * Waiting longer than the department's "délai anormalement long" (fixed by prefectoral order, in months,
 * counted from the first filing, which renewal keeps).
 */
export function exceedsDelaiAnormalementLong(d: Demande, today: IsoDate, months: number): boolean {
  if (isRadiee(d)) return false;
  return addMonths(d.dateCreationDemande, months) < today;
}

export function hasDaloLabel(d: Demande): boolean {
  return d.labels.some((l) => l.source === 'DALO') || d.dalo?.statut === 'ACTIF';
}

/** Data are kept one year after radiation, then erased. */
export function isRetentionExceeded(d: Demande, today: IsoDate): boolean {
  return d.radiation !== undefined && addMonths(d.radiation.date, 12) < today;
}
