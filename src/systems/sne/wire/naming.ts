/**
 * Names and date-times the SNE expects in requests (domain.md §3):
 * - demand file name `DEM<guichet>-<YYYYMMDDHHMM>-<6-digit counter>.xml`;
 * - certificate name `CER<guichet>-<YYYYMMDDHHMM>.pem`;
 * - request date-times in ISO 8601 with offset and fraction, e.g. `2017-01-13T14:55:43.5+02:00`.
 *
 * All are pure functions of a `Date` (an instant). The wall-clock fields are those of French legal time,
 * `Europe/Paris`, computed with `Intl` (so daylight saving time follows the tz database, whatever the
 * host's own time zone): the SNE is a French national service and its observed examples carry `+01:00` /
 * `+02:00`. The zone is a parameter for tests and for overseas territories, defaulting to `Europe/Paris`.
 */
import { ValidationError } from '../../../errors';

export const SNE_TIME_ZONE = 'Europe/Paris';

export const NOM_FICHIER_DEMANDE_PATTERN = /^DEM[A-Za-z0-9]{1,20}-\d{12}-\d{6}\.xml$/;
export const NOM_CERTIFICAT_PATTERN = /^CER[A-Za-z0-9]{1,20}-\d{12}\.pem$/;
/** Date-time with seconds, a fraction and a numeric offset, as the service's examples. */
export const SNE_DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}[+-]\d{2}:\d{2}$/;
const GUICHET_PATTERN = /^[A-Za-z0-9]{1,20}$/;

/** Wall-clock fields of an instant in a time zone, with that zone's UTC offset at that instant. */
export interface ZonedFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC (`+120` for `+02:00`). */
  offsetMinutes: number;
}

// Formatters are immutable and costly to build: one per zone is reused (a cache, not shared state).
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function invalid(path: string, rule: string, message: string): ValidationError {
  return new ValidationError('SNE_REQUEST_INVALID', [{ path, rule, message }], { system: 'sne' });
}

/** The wall-clock fields of `date` in `timeZone` (default `Europe/Paris`). */
export function zonedFields(date: Date, timeZone: string = SNE_TIME_ZONE): ZonedFields {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw invalid('date', 'date.valid', 'the date is not a valid instant');
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(date)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const millisecond = ((t % 1000) + 1000) % 1000;
  const f = (k: string): number => parts[k] ?? 0;
  const asUtc = Date.UTC(f('year'), f('month') - 1, f('day'), f('hour'), f('minute'), f('second'), millisecond);
  return {
    year: f('year'),
    month: f('month'),
    day: f('day'),
    hour: f('hour'),
    minute: f('minute'),
    second: f('second'),
    millisecond,
    offsetMinutes: Math.round((asUtc - t) / 60000),
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * ISO 8601 date-time with offset and fraction, as the SNE wants it: `2017-01-13T14:55:43.5+02:00`.
 * The fraction is the milliseconds without trailing zeros, at least one digit (`.0` on a whole second).
 */
export function formatSneDateTime(date: Date, timeZone: string = SNE_TIME_ZONE): string {
  const z = zonedFields(date, timeZone);
  const fraction = pad(z.millisecond, 3).replace(/0+$/, '') || '0';
  const sign = z.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(z.offsetMinutes);
  return (
    `${z.year}-${pad(z.month)}-${pad(z.day)}T${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}.${fraction}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `YYYYMMDDHHMM` of `date` in French legal time: the timestamp used in file and certificate names. */
export function nameTimestamp(date: Date, timeZone: string = SNE_TIME_ZONE): string {
  const z = zonedFields(date, timeZone);
  return `${z.year}${pad(z.month)}${pad(z.day)}${pad(z.hour)}${pad(z.minute)}`;
}

function checkGuichet(guichet: string): void {
  if (!GUICHET_PATTERN.test(guichet)) {
    throw invalid('guichet', 'guichet.format', 'the guichet code must be 1 to 20 letters or digits');
  }
}

/** `DEM<guichet>-<YYYYMMDDHHMM>-<counter on 6 digits>.xml` (counter 0..999999). */
export function nomFichierDemande(guichet: string, date: Date, counter: number, timeZone?: string): string {
  checkGuichet(guichet);
  if (!Number.isInteger(counter) || counter < 0 || counter > 999_999) {
    throw invalid('counter', 'counter.range', 'the file counter must be an integer from 0 to 999999');
  }
  return `DEM${guichet}-${nameTimestamp(date, timeZone)}-${pad(counter, 6)}.xml`;
}

/** `CER<guichet>-<YYYYMMDDHHMM>.pem`. */
export function nomCertificat(guichet: string, date: Date, timeZone?: string): string {
  checkGuichet(guichet);
  return `CER${guichet}-${nameTimestamp(date, timeZone)}.pem`;
}
