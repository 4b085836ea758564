/**
 * The dates of a synthetic demand (filing, renewals, radiation) and its numéro unique.
 *
 * Dates are built backwards from the situation of the demand on `today`, so every status is consistent
 * with the rules of domain.md §7 (rules.ts `expiryDate`, `isExpiredNotRadiated`): an active demand has
 * not expired, an expired one expired less than two months ago, a radiated one was radiated in the last
 * twelve months (data are erased one year after radiation), after its filing, and a `RADREN` one about a
 * month after its expiry.
 */
import { addDays, addMonths, daysBetween, type IsoDate } from '../domain';
import { radiationMotifs, renewalCounts, Status, statuses } from './distributions';
import type { Rng } from './prng';
import type { DeskPreset, TerritoryPreset } from './territories';

export interface Situation {
  status: Status;
  /** The date the data describe: today, or the radiation date (a radiated demand is frozen). */
  ref: IsoDate;
  radiation?: { motif: string; date: IsoDate };
}

export interface Dates {
  dateCreationDemande: IsoDate;
  dateDernierRenouvellement?: IsoDate;
}

/** Draws the status of a demand and the date its data describe. `creation`: a new, active demand. */
export function generateSituation(rng: Rng, today: IsoDate, creation: boolean): Situation {
  if (creation) return { status: Status.active, ref: today };
  const status = rng.weighted(statuses);
  if (status !== Status.radiated) return { status, ref: today };
  const motif = rng.weighted(radiationMotifs);
  const date = addDays(today, -rng.int(0, 364));
  return { status, ref: date, radiation: { motif, date } };
}

/**
 * Filing and last renewal dates. `maxRenewals` keeps the applicant adult at filing. Renewals happen in
 * the month before each expiry, so walking back from the last renewal, each earlier one is a year
 * before it plus up to 30 days.
 */
export function generateDates(rng: Rng, situation: Situation, today: IsoDate, maxRenewals: number, creation: boolean): Dates {
  if (creation) return { dateCreationDemande: addDays(today, -rng.int(0, 10)) };
  const renewals = Math.min(rng.weighted(renewalCounts), Math.max(0, maxRenewals));
  let last: IsoDate;
  if (situation.status === Status.active) {
    last = addDays(today, -rng.int(0, 364));
  } else if (situation.status === Status.expired) {
    last = addMonths(addDays(today, -rng.int(1, 60)), -12);
  } else {
    const r = situation.radiation!;
    last = r.motif === 'RADREN' ? addMonths(addDays(r.date, -rng.int(20, 45)), -12) : addDays(r.date, -rng.int(1, 364));
  }
  let first = last;
  for (let i = 0; i < renewals; i++) first = addDays(addMonths(first, -12), rng.int(0, 30));
  return renewals > 0 ? { dateCreationDemande: first, dateDernierRenouvellement: last } : { dateCreationDemande: first };
}

/** A date drawn between `from` + `minDays` and `to` (both included), or undefined when the span is too short. */
export function dateBetween(rng: Rng, from: IsoDate, to: IsoDate, minDays = 0): IsoDate | undefined {
  const span = daysBetween(from, to);
  if (span < minDays) return undefined;
  return addDays(from, rng.int(minDays, span));
}

/** Per-seed offset of the 6-digit sequence, so two data sets do not number from the same value. */
export function sequenceOffset(seedHash: number): number {
  return seedHash % 1_000_000;
}

/**
 * The numéro unique in the usual layout (domain.md §5): territory (3 digits), month and year of the first
 * filing, a 6-digit sequence, the 5-character desk code. The sequence is `(offset + index) mod 10^6`,
 * so numbers are unique within a seed for any 1,000,000 consecutive indexes.
 */
export function numUniqueFor(territory: TerritoryPreset, filed: IsoDate, index: number, offset: number, desk: DeskPreset): string {
  const month = filed.slice(5, 7);
  const year = filed.slice(2, 4);
  const sequence = String((offset + index) % 1_000_000).padStart(6, '0');
  return `${territory.numUniqueTerritory}${month}${year}${sequence}${desk.code}`;
}
