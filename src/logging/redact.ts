/**
 * The redaction layer of every log line. Personal data must never reach a log (design.md §3.6), and a
 * deny-list always misses a field; so log metadata is filtered by an **allow-list** of keys that carry
 * identifiers, codes, counts and durations. Any other key is dropped and only counted (`redacted: n`);
 * its name is not printed either, in case data was used as a key.
 *
 * Errors are rendered through {@link toSafeError}: a gateway error keeps its code, class, message and
 * (allow-listed) details; a foreign error keeps only its name, because its message may quote data.
 * Strings that pass are still scrubbed of URL credentials, e-mail addresses, phone numbers and NIR-like
 * numbers: a last net, not the main defence.
 */
import { isGatewayError, toSafeError, ValidationError } from '../errors';

/** Keys whose values may be logged (nested objects are filtered by the same list). */
export const ALLOWED_KEYS: ReadonlySet<string> = new Set([
  // identifiers of work
  'runId', 'jobId', 'numUnique', 'eventId', 'eventType', 'event', 'keyId', 'reportId', 'deadLetterId',
  'idempotencyKey', 'cursor', 'version', 'hash', 'file', 'path', 'rule', 'code', 'codes', 'field',
  // where
  'queue', 'system', 'source', 'target', 'component', 'service', 'operation', 'method', 'url', 'host', 'port',
  'pid', 'profile', 'transport', 'guichet', 'department', 'interfaceVersion', 'typeFichier', 'schedule',
  'timezone', 'role', 'user',
  // outcome and state
  'status', 'statusCode', 'httpStatus', 'state', 'circuit', 'errorClass', 'retryable', 'attempt', 'attempts',
  'durationMs', 'delayMs', 'retryAfterSeconds', 'timeoutMs', 'since', 'until', 'at',
  // counting
  'count', 'counts', 'total', 'limit', 'offset', 'page', 'pageSize', 'size', 'bytes', 'fetched', 'valid',
  'quarantined', 'unchanged', 'changed', 'delivered', 'failed', 'parked', 'enqueued', 'skipped', 'waiting',
  'active', 'delayed', 'completed', 'paused', 'lag', 'depth', 'created', 'updated', 'deleted', 'received',
  'sent', 'acknowledged', 'retried', 'pending', 'duplicates', 'errors', 'missing', 'extra', 'matched',
  'mismatched', 'onlyLocal', 'onlyRemote', 'conflicts', 'superseded', 'alert', 'demandes', 'problems',
]);

/** Keys rendered as a safe error. */
const ERROR_KEYS: ReadonlySet<string> = new Set(['err', 'error']);

const MAX_DEPTH = 4;
const MAX_ITEMS = 50;
const MAX_STRING = 500;

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const PHONE = /(?<![\w+])(?:\+33[\s.-]?|0033[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\w)/g;
// Sex, year, month, department (2A/2B in Corsica), commune, order, optional key: 13 or 15 characters.
const NIR = /(?<!\w)[1-478][\s.]?\d{2}[\s.]?\d{2}[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}(?:[\s.]?\d{2})?(?!\w)/g;

/** Masks credentials in URLs and personal-looking patterns (e-mail, phone, NIR) in any text. */
export function scrubText(text: string): string {
  const short = text.length > MAX_STRING ? `${text.slice(0, MAX_STRING)}…` : text;
  return short
    .replace(URL_CREDENTIALS, '$1***@')
    .replace(EMAIL, '[email]')
    .replace(PHONE, '[phone]')
    .replace(NIR, '[nir]');
}

/** A URL fit for a log: no credentials, no query string, no fragment (tokens often travel there). */
export function redactUrl(text: string): string {
  if (!URL.canParse(text)) return scrubText(text);
  const u = new URL(text);
  if (!u.username && !u.password && !u.search && !u.hash) return scrubText(text);
  if (u.username || u.password) {
    u.username = '***';
    u.password = '';
  }
  u.search = '';
  u.hash = '';
  return scrubText(u.toString());
}

/** Filters log metadata through the allow-list. Never throws, whatever it is given. */
export function redactMeta(meta: unknown): Record<string, unknown> {
  if (meta instanceof Error) return { err: safeErrorForLog(meta) };
  return redactObject(meta, 0);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function redactObject(value: unknown, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(value)) return out;
  let dropped = 0;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (ERROR_KEYS.has(key)) out[key] = safeErrorForLog(v);
    else if (key === 'issues') out[key] = safeIssues(v);
    else if (key === 'url' && typeof v === 'string') out[key] = redactUrl(v);
    else if (ALLOWED_KEYS.has(key)) out[key] = redactValue(v, depth + 1);
    else dropped++;
  }
  if (dropped) out.redacted = dropped;
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return scrubText(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return undefined; // functions, symbols
  if (v instanceof Error) return safeErrorForLog(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (depth > MAX_DEPTH) return '[depth]';
  if (Array.isArray(v)) {
    const items = v.slice(0, MAX_ITEMS).map((x) => redactValue(x, depth + 1));
    return v.length > MAX_ITEMS ? [...items, `…${v.length - MAX_ITEMS} more`] : items;
  }
  if (isPlainObject(v)) return redactObject(v, depth);
  return '[object]'; // Buffer, Map, class instances: their content is unknown
}

/** Issues keep their path and rule only: an issue message is meant for the person fixing the input. */
function safeIssues(v: unknown): unknown {
  if (!Array.isArray(v)) return undefined;
  return v.slice(0, 20).map((i: unknown) => {
    const issue = isPlainObject(i) ? i : {};
    return {
      path: typeof issue.path === 'string' ? scrubText(issue.path) : '',
      rule: typeof issue.rule === 'string' ? scrubText(issue.rule) : '',
    };
  });
}

const SAFE_NAME = /^[A-Za-z_$][A-Za-z0-9_$.]{0,63}$/;
const ERRNO = /^[A-Z][A-Z0-9_]{1,47}$/;

/**
 * A thrown value as it may appear in a log. Gateway errors: name, code, class, message, system,
 * allow-listed details, retry delay, issues as path + rule, and their cause rendered the same way.
 * Anything else: its class name, plus a system error code (`ECONNREFUSED`) or an HTTP status when it has one.
 */
export function safeErrorForLog(e: unknown, depth = 0): Record<string, unknown> {
  const safe = toSafeError(e);
  const name = SAFE_NAME.test(safe.name) ? safe.name : 'Error';
  const out: Record<string, unknown> = { name, code: safe.code, errorClass: safe.errorClass };
  if (isGatewayError(e)) {
    // A validation summary quotes issue messages: keep the count, and the issues as path + rule.
    out.message = e instanceof ValidationError ? `${e.issues.length} problem(s)` : scrubText(safe.message);
    if (safe.system !== undefined) out.system = scrubText(safe.system);
    if (safe.details) out.details = redactObject(safe.details, 1);
    if (safe.retryAfterSeconds !== undefined) out.retryAfterSeconds = safe.retryAfterSeconds;
    if (e instanceof ValidationError) out.issues = safeIssues(e.issues);
  } else {
    out.message = `unexpected ${name}`;
    const { code, status } = (typeof e === 'object' && e !== null ? e : {}) as { code?: unknown; status?: unknown };
    if (typeof code === 'string' && ERRNO.test(code)) out.errno = code;
    if (typeof status === 'number' && Number.isInteger(status)) out.status = status;
  }
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause !== undefined) out.cause = depth < 3 ? safeErrorForLog(cause, depth + 1) : { name: 'Error' };
  return out;
}
