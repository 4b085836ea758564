/** Errors of the local-tool client, with stable codes (`LOCAL_*`). */
import { PermanentError } from '../../errors';
import { HttpErrorKind, httpErrorCode, type HttpCall } from '../http-errors';

export const LOCAL_SYSTEM = 'local';
export const LOCAL_CODE_PREFIX = 'LOCAL';

/** Every code the local client raises. */
export const LocalErrorCode = {
  conflict: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.conflict),
  /** A 422: the local tool refused the record or event; the issues say why. */
  rejected: 'LOCAL_REJECTED',
  auth: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.auth),
  notFound: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.notFound),
  badRequest: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.badRequest),
  rateLimited: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.rateLimited),
  unavailable: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.unavailable),
  gatewayTimeout: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.gatewayTimeout),
  serverError: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.serverError),
  unexpectedStatus: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.unexpectedStatus),
  unreachable: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.unreachable),
  tls: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.tls),
  timeout: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.timeout),
  connectionLost: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.connectionLost),
  badResponse: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.badResponse),
  network: httpErrorCode(LOCAL_CODE_PREFIX, HttpErrorKind.network),
  /** The export gave the same cursor twice: following it would loop forever. */
  badCursor: 'LOCAL_BAD_CURSOR',
} as const;
export type LocalErrorCode = (typeof LocalErrorCode)[keyof typeof LocalErrorCode];

/**
 * A 409: the demand changed on the local side since the version the gateway had (or already exists
 * when the gateway meant to create it). Permanent as such: resending the same request cannot succeed;
 * the caller decides from `currentVersion` (read the demand, merge or report).
 */
export class LocalConflictError extends PermanentError {
  readonly currentVersion: number | null;
  readonly reason: string | null;

  constructor(call: HttpCall, currentVersion: number | null, reason: string | null) {
    super(LocalErrorCode.conflict, `${call.system} ${call.method} ${call.route}: answered 409 (conflict)`, {
      system: call.system,
      details: { method: call.method, route: call.route, status: 409, currentVersion, reason },
    });
    this.currentVersion = currentVersion;
    this.reason = reason;
  }
}
