/**
 * Stable error codes of the SNE wire layer, and the internal error the parsers throw before the public
 * functions turn it into a `GatewayError` of the right class.
 */

export const SneErrorCode = {
  /** 5xx other than 503 (transient). */
  unavailable: 'SNE_UNAVAILABLE',
  /** 429 (transient, with `retryAfterSeconds` when the service said so). */
  rateLimited: 'SNE_RATE_LIMITED',
  /** 503 (transient). */
  maintenance: 'SNE_MAINTENANCE',
  /** Connection refused, DNS, unreachable, reset before sending, reset on a read (transient). */
  network: 'SNE_NETWORK',
  /** Timeout of a read, or of a write that was not fully sent (transient). */
  timeout: 'SNE_TIMEOUT',
  /** Timeout or connection loss after a write was sent: it may have taken effect (ambiguous). */
  timeoutAfterSend: 'SNE_TIMEOUT_AFTER_SEND',
  /** Truncated or malformed answer: transient on reads, ambiguous on writes. */
  malformedResponse: 'SNE_MALFORMED_RESPONSE',
  /** Answer over the configured size limit: permanent on reads, ambiguous on writes. */
  responseTooLarge: 'SNE_RESPONSE_TOO_LARGE',
  /** 4xx other than 401, 403 and 429 (permanent). */
  http4xx: 'SNE_HTTP_4XX',
  /** 3xx or other status the service never sends (permanent). */
  httpUnexpected: 'SNE_HTTP_UNEXPECTED',
  /** TLS handshake failed, certificate refused or untrusted, 401/403 (permanent). */
  auth: 'SNE_AUTH',
  /** SOAP fault (permanent). */
  soapFault: 'SNE_SOAP_FAULT',
  /** Business anomalies (`CTRL_DEM_nnnn`) in the returned document. */
  anomaly: 'SNE_ANOMALY',
  /** A request that cannot be built, or (simulator side) that the service would refuse (permanent). */
  requestInvalid: 'SNE_REQUEST_INVALID',
  /** Certificate or key files unreadable, bad transport options (permanent). */
  transportConfig: 'SNE_TRANSPORT_CONFIG',
  /** The anomaly table file is missing or invalid (permanent, at start-up). */
  anomalyTableInvalid: 'SNE_ANOMALY_TABLE_INVALID',
} as const;
export type SneErrorCode = (typeof SneErrorCode)[keyof typeof SneErrorCode];

/** The `system` stamped on every error of this layer. */
export const SNE_SYSTEM = 'sne';

/**
 * A wire-format problem found by the MIME or XML readers: a rule name, a path and a message that names
 * structure and positions, never content. Internal: public functions convert it to a `GatewayError`.
 */
export class WireFormatError extends Error {
  readonly rule: string;
  readonly path: string;
  constructor(rule: string, message: string, path = '') {
    super(message);
    this.name = 'WireFormatError';
    this.rule = rule;
    this.path = path;
  }
}
