/**
 * One mapping from HTTP outcomes to the gateway's error classes, shared by the clients of every
 * system (local tool, SNE, SPTA). A client handles the answers that carry meaning for its API
 * (a 409 with the current version, a 422 with issues, a SOAP fault) and hands everything else here.
 *
 * What is kept of a failure is small and safe: the system, method, route *template*, status and a
 * network error code. Never headers (they carry the token), bodies or URLs (they may carry ids or data).
 *
 * | outcome | class | code suffix |
 * |---|---|---|
 * | 401, 403 | permanent | `AUTH` |
 * | 404 | permanent | `NOT_FOUND` |
 * | 409 | permanent | `CONFLICT` |
 * | other 4xx (400, 413, 415, 422...) | permanent | `BAD_REQUEST` |
 * | 408 | transient | `TIMEOUT` |
 * | 429 | transient, `Retry-After` kept | `RATE_LIMITED` |
 * | 503 | transient, `Retry-After` kept | `UNAVAILABLE` |
 * | 504 | ambiguous for a write, else transient | `GATEWAY_TIMEOUT` |
 * | other 5xx | transient, `Retry-After` kept | `SERVER_ERROR` |
 * | connection refused, DNS, unreachable | transient (nothing was sent) | `UNREACHABLE` |
 * | TLS certificate refused | permanent (configuration) | `TLS` |
 * | timeout | ambiguous for a write, else transient | `TIMEOUT` |
 * | connection reset, answer cut short | ambiguous for a write, else transient | `CONNECTION_LOST` |
 * | 2xx whose body cannot be read | ambiguous for a write, else transient | `BAD_RESPONSE` |
 * | anything else | ambiguous for a write, else transient | `NETWORK` |
 *
 * A write (PUT, POST, PATCH, DELETE) whose answer was lost may have taken effect: it is ambiguous, and
 * the caller checks the remote state before sending it again.
 */
import {
  AmbiguousError,
  type GatewayError,
  PermanentError,
  type SafeDetails,
  TransientError,
} from '../errors';

export const HttpErrorKind = {
  auth: 'AUTH',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  badRequest: 'BAD_REQUEST',
  rateLimited: 'RATE_LIMITED',
  unavailable: 'UNAVAILABLE',
  gatewayTimeout: 'GATEWAY_TIMEOUT',
  serverError: 'SERVER_ERROR',
  unexpectedStatus: 'UNEXPECTED_STATUS',
  unreachable: 'UNREACHABLE',
  tls: 'TLS',
  timeout: 'TIMEOUT',
  connectionLost: 'CONNECTION_LOST',
  badResponse: 'BAD_RESPONSE',
  network: 'NETWORK',
} as const;
export type HttpErrorKind = (typeof HttpErrorKind)[keyof typeof HttpErrorKind];

/** The stable error code of a kind for a system: `httpErrorCode('LOCAL', 'TIMEOUT')` = `LOCAL_TIMEOUT`. */
export function httpErrorCode(codePrefix: string, kind: HttpErrorKind): string {
  return `${codePrefix}_${kind}`;
}

/** Which call failed, in terms safe to log. */
export interface HttpCall {
  /** System name for `GatewayError.system` (`local`, `sne`, `spta:35`). */
  system: string;
  /** Prefix of the error codes (`LOCAL`, `SNE`). */
  codePrefix: string;
  method: string;
  /** The route template (`/demandes/{numUnique}`), never the filled-in URL. */
  route: string;
  /** Whether the call has effects; by default every method but GET, HEAD and OPTIONS. */
  write?: boolean;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(call: HttpCall): boolean {
  return call.write ?? !READ_METHODS.has(call.method.toUpperCase());
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const TIMEOUT = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ERR_BAD_RESPONSE', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT']);
const TLS = /^(CERT_|ERR_TLS_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_SSL_)/;

/**
 * Seconds to wait from a `Retry-After` value (seconds or an HTTP date); undefined when absent or unreadable.
 */
export function parseRetryAfter(value: unknown, nowMs: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const raw = String(text).trim();
  if (/^[0-9]{1,10}$/.test(raw)) return Number(raw);
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function details(call: HttpCall, extra: SafeDetails): SafeDetails {
  return { method: call.method.toUpperCase(), route: call.route, ...extra };
}

function describe(call: HttpCall, what: string): string {
  return `${call.system} ${call.method.toUpperCase()} ${call.route}: ${what}`;
}

/**
 * The error for an HTTP answer the client does not handle itself. `retryAfter` is the raw
 * `Retry-After` header, if any.
 */
export function errorForStatus(call: HttpCall, status: number, retryAfter?: unknown, nowMs?: number): GatewayError {
  const code = (kind: HttpErrorKind): string => httpErrorCode(call.codePrefix, kind);
  const retryAfterSeconds = parseRetryAfter(retryAfter, nowMs);
  const base = {
    system: call.system,
    details: details(call, { status }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  };
  const msg = (what: string): string => describe(call, `answered ${status} (${what})`);
  if (status === 401 || status === 403) return new PermanentError(code(HttpErrorKind.auth), msg('not authorised'), base);
  if (status === 404) return new PermanentError(code(HttpErrorKind.notFound), msg('not found'), base);
  if (status === 408) return new TransientError(code(HttpErrorKind.timeout), msg('request timeout'), base);
  if (status === 409) return new PermanentError(code(HttpErrorKind.conflict), msg('conflict'), base);
  if (status === 429) return new TransientError(code(HttpErrorKind.rateLimited), msg('rate limited'), base);
  if (status >= 400 && status < 500) return new PermanentError(code(HttpErrorKind.badRequest), msg('refused'), base);
  if (status === 503) return new TransientError(code(HttpErrorKind.unavailable), msg('unavailable'), base);
  if (status === 504) {
    return isWrite(call)
      ? new AmbiguousError(code(HttpErrorKind.gatewayTimeout), msg('gateway timeout; the write may have happened'), base)
      : new TransientError(code(HttpErrorKind.gatewayTimeout), msg('gateway timeout'), base);
  }
  if (status >= 500 && status < 600) return new TransientError(code(HttpErrorKind.serverError), msg('server error'), base);
  return new PermanentError(code(HttpErrorKind.unexpectedStatus), msg('unexpected status'), base);
}

/** A 2xx answer whose body is not what the API promises (unparseable, wrong shape). */
export function errorForBadResponse(call: HttpCall, status: number): GatewayError {
  const code = httpErrorCode(call.codePrefix, HttpErrorKind.badResponse);
  const options = { system: call.system, details: details(call, { status }) };
  return isWrite(call)
    ? new AmbiguousError(code, describe(call, `unreadable ${status} answer; the write may have happened`), options)
    : new TransientError(code, describe(call, `unreadable ${status} answer`), options);
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  response?: { status?: unknown; headers?: Record<string, unknown> };
}

/**
 * The error for a failed call: an axios error with an error status goes through `errorForStatus`;
 * one without (network, timeout, an answer cut in the middle of its body) is classified by its code. Nothing of the original error
 * travels on but its code: its message, config and request hold URLs, headers and bodies.
 */
export function errorForFailure(call: HttpCall, err: unknown, nowMs?: number): GatewayError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const status = typeof e.response?.status === 'number' ? e.response.status : undefined;
  // An error status is the answer; a success status with an error means the body was lost on the way.
  if (status !== undefined && status >= 400) {
    return errorForStatus(call, status, e.response?.headers?.['retry-after'], nowMs);
  }
  const networkCode = typeof e.code === 'string' ? e.code : undefined;
  const code = (kind: HttpErrorKind): string => httpErrorCode(call.codePrefix, kind);
  const options = {
    system: call.system,
    details: details(call, {
      ...(networkCode === undefined ? {} : { networkCode }),
      ...(status === undefined ? {} : { status }),
    }),
  };
  const write = isWrite(call);
  const eitherWay = (kind: HttpErrorKind, what: string): GatewayError =>
    write
      ? new AmbiguousError(code(kind), describe(call, `${what}; the write may have happened`), options)
      : new TransientError(code(kind), describe(call, what), options);

  if (networkCode !== undefined && UNREACHABLE.has(networkCode)) {
    return new TransientError(code(HttpErrorKind.unreachable), describe(call, 'unreachable'), options);
  }
  if (networkCode !== undefined && TLS.test(networkCode)) {
    return new PermanentError(code(HttpErrorKind.tls), describe(call, 'TLS handshake refused'), options);
  }
  if (networkCode !== undefined && TIMEOUT.has(networkCode)) return eitherWay(HttpErrorKind.timeout, 'no answer in time');
  if (networkCode !== undefined && LOST.has(networkCode)) return eitherWay(HttpErrorKind.connectionLost, 'connection lost');
  return eitherWay(HttpErrorKind.network, 'network failure');
}
