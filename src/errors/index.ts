/**
 * Errors of the gateway: classes with stable codes, each sorted into one of three classes that decide
 * what the queues do with a failed job (design.md §3.4):
 * - `transient`: retry with backoff (network, 5xx, 429, maintenance);
 * - `ambiguous`: the request may have taken effect (timeout after sending a write): never resend blindly;
 * - `permanent`: retrying cannot help (SOAP fault, anomaly, invalid mapping, bad input): dead letter.
 *
 * Messages never carry personal data: they name fields, rules and codes, not values.
 */

export const ErrorClass = {
  transient: 'transient',
  ambiguous: 'ambiguous',
  permanent: 'permanent',
} as const;
export type ErrorClass = (typeof ErrorClass)[keyof typeof ErrorClass];

/** Details safe to log: identifiers, codes, counts, HTTP status. Never a value of a demand. */
export type SafeDetails = Record<string, string | number | boolean | null | undefined | string[]>;

export interface GatewayErrorOptions {
  /** The external system or component the error comes from (`sne`, `spta:35`, `local`, `config`...). */
  system?: string;
  details?: SafeDetails;
  /** Seconds to wait before retrying, when the remote side said so (`Retry-After`). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** Base class: every error the gateway raises on purpose. */
export class GatewayError extends Error {
  readonly code: string;
  readonly errorClass: ErrorClass;
  readonly system: string | undefined;
  readonly details: SafeDetails;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: string, errorClass: ErrorClass, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.errorClass = errorClass;
    this.system = options.system;
    this.details = options.details ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get retryable(): boolean {
    return this.errorClass === ErrorClass.transient;
  }

  /** A small shape safe to store in a dead letter, a log line or an HTTP answer. */
  toJSON(): SafeErrorShape {
    return {
      name: this.name,
      code: this.code,
      errorClass: this.errorClass,
      message: this.message,
      ...(this.system === undefined ? {} : { system: this.system }),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
    };
  }
}

export interface SafeErrorShape {
  name: string;
  code: string;
  errorClass: ErrorClass;
  message: string;
  system?: string;
  details?: SafeDetails;
  retryAfterSeconds?: number;
}

export class TransientError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(code, ErrorClass.transient, message, options);
  }
}

export class AmbiguousError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(code, ErrorClass.ambiguous, message, options);
  }
}

export class PermanentError extends GatewayError {
  constructor(code: string, message: string, options?: GatewayErrorOptions) {
    super(code, ErrorClass.permanent, message, options);
  }
}

/** One problem found in an input: where (a path), which rule, and a message a person can act on. */
export interface Issue {
  path: string;
  rule: string;
  message: string;
}

/** Bad input (a record, an event, a config file): permanent, with every problem listed. */
export class ValidationError extends PermanentError {
  readonly issues: Issue[];
  constructor(code: string, issues: Issue[], options?: GatewayErrorOptions) {
    super(code, ValidationError.summarise(issues), options);
    this.issues = issues;
  }

  static summarise(issues: Issue[]): string {
    const head = issues.slice(0, 5).map((i) => `${i.path || '(root)'}: ${i.message} [${i.rule}]`);
    const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
    return `${issues.length} problem(s): ${head.join('; ')}${more}`;
  }

  override toJSON(): SafeErrorShape & { issues: Issue[] } {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/** True for any error raised by the gateway on purpose. */
export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** The class of any thrown value: unknown errors count as permanent (a bug is not fixed by retrying). */
export function classOf(e: unknown): ErrorClass {
  return isGatewayError(e) ? e.errorClass : ErrorClass.permanent;
}

/** A safe shape for any thrown value, without the message of foreign errors (they may quote data). */
export function toSafeError(e: unknown): SafeErrorShape {
  if (isGatewayError(e)) return e.toJSON();
  const name = e instanceof Error ? e.name : typeof e;
  return { name, code: 'INTERNAL', errorClass: ErrorClass.permanent, message: `unexpected ${name}` };
}
