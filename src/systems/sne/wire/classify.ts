/**
 * Classification of every way an SNE call can fail, in one place (design.md §3.4):
 * transient (retry with backoff), ambiguous (a write may have taken effect: never resend blindly),
 * permanent (retrying cannot help). Works on a small safe description of the failure (`SneFailure`):
 * never on headers, bodies or a library's error object.
 */
import axios from 'axios';
import { AmbiguousError, GatewayError, PermanentError, TransientError, type SafeDetails } from '../../../errors';
import { isWriteOperation, type SneOperation } from './constants';
import { SneErrorCode, SNE_SYSTEM } from './errors';

/** A SOAP fault as read from a response (SOAP 1.2, or 1.1 from a proxy). */
export interface SoapFault {
  soapVersion: '1.2' | '1.1';
  /** Local part of the fault code: `Sender`, `Receiver`, ... (`Client`/`Server` in SOAP 1.1). */
  code: string;
  /** First-level subcode as written (`prefix:name`), if any. */
  subcode?: string;
  /** The service's reason text, whitespace collapsed, at most 300 characters. */
  reason: string;
  /** Local names of the elements inside `Detail` (their content is not kept: it may quote data). */
  detailElements: string[];
}

/** What went wrong, reduced to what classification needs. */
export type SneFailure =
  /** An HTTP answer other than 2xx (with the SOAP fault it carried, if any). */
  | { kind: 'http'; status: number; retryAfter?: string; fault?: SoapFault }
  /** A 2xx answer carrying a SOAP fault. */
  | { kind: 'fault'; fault: SoapFault }
  /** No HTTP answer: `code` is the system or TLS error code; `sent` tells whether the request was fully written. */
  | { kind: 'network'; code: string; sent: boolean }
  | { kind: 'timeout'; sent: boolean }
  | { kind: 'canceled'; sent: boolean }
  /** The answer was truncated or could not be read; `rule` names what was wrong. */
  | { kind: 'malformed'; rule: string; message?: string }
  | { kind: 'tooLarge'; limit?: number }
  /** A problem on our side (bad URL, bad option): `code` is the library's code. */
  | { kind: 'config'; code: string };

export interface ClassifyContext {
  operation: SneOperation;
  /** The current time, to turn a `Retry-After` HTTP date into seconds. */
  now?: Date;
}

/** Codes of TLS failures: handshake refused, client certificate refused, server certificate untrusted. */
export const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);

/** Failures that happen before any byte of the request leaves: always safe to retry. */
const BEFORE_SEND_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'DNS name not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  EHOSTDOWN: 'host down',
  EADDRNOTAVAIL: 'local address not available',
};

export function isTlsErrorCode(code: string): boolean {
  return TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/** Most a `Retry-After` is honoured: a longer wait is the scheduler's call, not the remote's. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/**
 * Seconds to wait from a `Retry-After` value: delay-seconds, or an HTTP date relative to `now`.
 * `undefined` when absent or unreadable; capped at one day; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), MAX_RETRY_AFTER_SECONDS);
  // HTTP dates always name a weekday, a month and GMT; refuse anything else rather than guess.
  if (!/^[A-Za-z]{3},? .*\d{2}:\d{2}:\d{2}/.test(v)) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) return undefined;
  return Math.min(Math.max(0, Math.ceil((t - now.getTime()) / 1000)), MAX_RETRY_AFTER_SECONDS);
}

const REASON_LIMIT = 300;

/** Whitespace collapsed, control characters dropped, at most 300 characters. */
export function tidyReason(text: string): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001F\u007F]+/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > REASON_LIMIT ? `${t.slice(0, REASON_LIMIT - 1)}…` : t;
}

/** A SOAP fault as a permanent error: code and reason (the service's own text) are kept. */
export function faultToError(fault: SoapFault, operation: SneOperation): PermanentError {
  const code = fault.subcode ? `${fault.code}/${fault.subcode}` : fault.code;
  return new PermanentError(SneErrorCode.soapFault, `SNE ${operation}: SOAP fault ${code}: ${fault.reason}`, {
    system: SNE_SYSTEM,
    details: {
      operation,
      faultCode: fault.code,
      faultSubcode: fault.subcode,
      reason: fault.reason,
      soapVersion: fault.soapVersion,
      ...(fault.detailElements.length ? { detailElements: fault.detailElements } : {}),
    },
  });
}

/** The single decision table from a failure to a transient, ambiguous or permanent error. */
export function classifySneFailure(failure: SneFailure, ctx: ClassifyContext): GatewayError {
  const { operation } = ctx;
  const write = isWriteOperation(operation);
  const base = (extra: SafeDetails): { system: string; details: SafeDetails } => ({ system: SNE_SYSTEM, details: { operation, ...extra } });

  switch (failure.kind) {
    case 'fault':
      return faultToError(failure.fault, operation);
    case 'http': {
      const { status } = failure;
      const retryAfterSeconds = parseRetryAfter(failure.retryAfter, ctx.now ?? new Date());
      const withRetry = (extra: SafeDetails) => ({ ...base({ httpStatus: status, ...extra }), retryAfterSeconds });
      if (status === 429) return new TransientError(SneErrorCode.rateLimited, `SNE ${operation}: rate limited (HTTP 429)`, withRetry({}));
      if (status === 503) return new TransientError(SneErrorCode.maintenance, `SNE ${operation}: service unavailable, maintenance (HTTP 503)`, withRetry({}));
      if (failure.fault) return faultToError(failure.fault, operation);
      if (status === 504 && write) {
        // A gateway timed out waiting for the service, which may still have registered the write.
        return new AmbiguousError(SneErrorCode.timeoutAfterSend, `SNE ${operation}: gateway timeout after the request was sent (HTTP 504)`, base({ httpStatus: status, reason: 'gateway-timeout' }));
      }
      if (status >= 500 && status <= 599) return new TransientError(SneErrorCode.unavailable, `SNE ${operation}: server error (HTTP ${status})`, withRetry({}));
      if (status === 401 || status === 403) return new PermanentError(SneErrorCode.auth, `SNE ${operation}: access refused (HTTP ${status})`, base({ httpStatus: status }));
      if (status >= 400 && status <= 499) return new PermanentError(SneErrorCode.http4xx, `SNE ${operation}: request refused (HTTP ${status})`, base({ httpStatus: status }));
      return new PermanentError(SneErrorCode.httpUnexpected, `SNE ${operation}: unexpected HTTP status ${status}`, base({ httpStatus: status }));
    }
    case 'network': {
      const { code, sent } = failure;
      if (isTlsErrorCode(code)) {
        return new PermanentError(SneErrorCode.auth, `SNE ${operation}: TLS handshake or certificate refused (${code})`, base({ networkCode: code }));
      }
      const before = BEFORE_SEND_CODES[code];
      if (before) return new TransientError(SneErrorCode.network, `SNE ${operation}: ${before} (${code})`, base({ networkCode: code, sent: false }));
      if (sent && write) {
        return new AmbiguousError(SneErrorCode.timeoutAfterSend, `SNE ${operation}: connection lost after the request was sent (${code})`, base({ networkCode: code, sent, reason: 'connection-lost' }));
      }
      return new TransientError(SneErrorCode.network, `SNE ${operation}: connection failed (${code})`, base({ networkCode: code, sent }));
    }
    case 'timeout':
      if (failure.sent && write) {
        return new AmbiguousError(SneErrorCode.timeoutAfterSend, `SNE ${operation}: no answer in time after the request was sent`, base({ sent: true, reason: 'timeout' }));
      }
      return new TransientError(SneErrorCode.timeout, `SNE ${operation}: no answer in time`, base({ sent: failure.sent }));
    case 'canceled':
      if (failure.sent && write) {
        return new AmbiguousError(SneErrorCode.timeoutAfterSend, `SNE ${operation}: call canceled after the request was sent`, base({ sent: true, reason: 'canceled' }));
      }
      return new TransientError(SneErrorCode.network, `SNE ${operation}: call canceled`, base({ sent: failure.sent, reason: 'canceled' }));
    case 'malformed': {
      const message = `SNE ${operation}: unreadable answer (${failure.rule})${failure.message ? `: ${failure.message}` : ''}`;
      return write
        ? new AmbiguousError(SneErrorCode.malformedResponse, message, base({ rule: failure.rule }))
        : new TransientError(SneErrorCode.malformedResponse, message, base({ rule: failure.rule }));
    }
    case 'tooLarge': {
      const message = `SNE ${operation}: answer larger than the configured limit${failure.limit ? ` (${failure.limit} bytes)` : ''}`;
      return write
        ? new AmbiguousError(SneErrorCode.responseTooLarge, message, base({ limit: failure.limit }))
        : new PermanentError(SneErrorCode.responseTooLarge, message, base({ limit: failure.limit }));
    }
    case 'config':
      return new PermanentError(SneErrorCode.transportConfig, `SNE ${operation}: transport misconfigured (${failure.code})`, base({ code: failure.code }));
  }
}

/**
 * Reduces whatever the HTTP client threw to an `SneFailure`, reading only codes, flags and the status:
 * no header, no body, no message of a foreign error survives.
 */
export function describeHttpClientError(e: unknown): SneFailure {
  if (!axios.isAxiosError(e)) {
    const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : '';
    return code ? { kind: 'network', code, sent: false } : { kind: 'config', code: 'INTERNAL' };
  }
  const code = e.code ?? '';
  const req = e.request as { writableFinished?: boolean } | undefined;
  // "Sent" means the whole request reached the socket: the service may have received and acted on it.
  const sent = e.response !== undefined || req?.writableFinished === true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (code === 'ERR_CANCELED') return { kind: 'canceled', sent };
  if ((code === 'ECONNABORTED' || code === 'ETIMEDOUT') && /timeout/i.test(message)) return { kind: 'timeout', sent };
  if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/.test(message)) return { kind: 'tooLarge' };
  if (code === 'ERR_BAD_RESPONSE') return { kind: 'malformed', rule: 'response.truncated', message: 'the answer stopped before its end' };
  if (e.response) return { kind: 'http', status: e.response.status };
  if (code.startsWith('ERR_BAD_OPTION') || code === 'ERR_INVALID_URL' || code === 'ERR_NOT_SUPPORT' || code === 'ERR_BAD_REQUEST') {
    return { kind: 'config', code };
  }
  return { kind: 'network', code: code || 'UNKNOWN', sent };
}
