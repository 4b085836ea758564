import { classifySneFailure, describeHttpClientError, parseRetryAfter, type ClassifyContext, type SneFailure } from '../../../src/systems/sne/wire';

const NOW = new Date('2024-05-02T10:00:00.000Z');
const read: ClassifyContext = { operation: 'getDemandeLogement', now: NOW };
const write: ClassifyContext = { operation: 'getNumUnique', now: NOW };

function shape(f: SneFailure, ctx = read): { code: string; errorClass: string; retryAfterSeconds?: number } {
  const e = classifySneFailure(f, ctx);
  return { code: e.code, errorClass: e.errorClass, ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }) };
}

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 02 May 2024 10:01:30 GMT', NOW)).toBe(90);
    expect(parseRetryAfter('Thu, 02 May 2024 09:00:00 GMT', NOW)).toBe(0);
  });

  it('caps a wait longer than a day, and ignores what it cannot read', () => {
    expect(parseRetryAfter('9999999', NOW)).toBe(86400);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
    expect(parseRetryAfter('2024-05-02', NOW)).toBeUndefined();
  });
});

describe('classifySneFailure', () => {
  it('retries 5xx, 503 maintenance and 429 with the wait the service asked', () => {
    expect(shape({ kind: 'http', status: 500 })).toEqual({ code: 'SNE_UNAVAILABLE', errorClass: 'transient' });
    expect(shape({ kind: 'http', status: 502 }, write)).toEqual({ code: 'SNE_UNAVAILABLE', errorClass: 'transient' });
    expect(shape({ kind: 'http', status: 503, retryAfter: '600' })).toEqual({ code: 'SNE_MAINTENANCE', errorClass: 'transient', retryAfterSeconds: 600 });
    expect(shape({ kind: 'http', status: 429, retryAfter: 'Thu, 02 May 2024 10:00:30 GMT' })).toEqual({
      code: 'SNE_RATE_LIMITED',
      errorClass: 'transient',
      retryAfterSeconds: 30,
    });
    expect(shape({ kind: 'http', status: 429 })).toEqual({ code: 'SNE_RATE_LIMITED', errorClass: 'transient' });
  });

  it('treats a gateway timeout on a write as ambiguous: the service may have registered it', () => {
    expect(shape({ kind: 'http', status: 504 }, write)).toEqual({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous' });
    expect(shape({ kind: 'http', status: 504 }, read)).toEqual({ code: 'SNE_UNAVAILABLE', errorClass: 'transient' });
  });

  it('does not retry 4xx; 401 and 403 are an access problem', () => {
    expect(shape({ kind: 'http', status: 400 })).toEqual({ code: 'SNE_HTTP_4XX', errorClass: 'permanent' });
    expect(shape({ kind: 'http', status: 404 }, write)).toEqual({ code: 'SNE_HTTP_4XX', errorClass: 'permanent' });
    expect(shape({ kind: 'http', status: 403 })).toEqual({ code: 'SNE_AUTH', errorClass: 'permanent' });
    expect(shape({ kind: 'http', status: 401 })).toEqual({ code: 'SNE_AUTH', errorClass: 'permanent' });
    expect(shape({ kind: 'http', status: 302 })).toEqual({ code: 'SNE_HTTP_UNEXPECTED', errorClass: 'permanent' });
  });

  it('does not retry a SOAP fault, whatever its status', () => {
    const fault = { soapVersion: '1.2' as const, code: 'Receiver', reason: 'Erreur', detailElements: [] };
    expect(shape({ kind: 'http', status: 500, fault })).toEqual({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent' });
    expect(shape({ kind: 'fault', fault }, write)).toEqual({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent' });
  });

  it('retries failures before sending, even of a write', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']) {
      expect(shape({ kind: 'network', code, sent: true }, write)).toEqual({ code: 'SNE_NETWORK', errorClass: 'transient' });
    }
    expect(shape({ kind: 'network', code: 'ECONNRESET', sent: false }, write)).toEqual({ code: 'SNE_NETWORK', errorClass: 'transient' });
    expect(shape({ kind: 'timeout', sent: false }, write)).toEqual({ code: 'SNE_TIMEOUT', errorClass: 'transient' });
  });

  it('makes a timeout or a reset after sending a write ambiguous, and of a read transient', () => {
    expect(shape({ kind: 'timeout', sent: true }, write)).toEqual({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous' });
    expect(shape({ kind: 'network', code: 'ECONNRESET', sent: true }, write)).toEqual({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous' });
    expect(shape({ kind: 'canceled', sent: true }, write)).toEqual({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous' });
    expect(shape({ kind: 'timeout', sent: true }, read)).toEqual({ code: 'SNE_TIMEOUT', errorClass: 'transient' });
    expect(shape({ kind: 'network', code: 'ECONNRESET', sent: true }, read)).toEqual({ code: 'SNE_NETWORK', errorClass: 'transient' });
  });

  it('does not retry a refused TLS handshake or certificate', () => {
    for (const code of ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'EPROTO', 'CERT_HAS_EXPIRED', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      expect(shape({ kind: 'network', code, sent: true }, write)).toEqual({ code: 'SNE_AUTH', errorClass: 'permanent' });
    }
  });

  it('makes a malformed answer transient on a read and ambiguous on a write; a too large one permanent on a read', () => {
    expect(shape({ kind: 'malformed', rule: 'multipart.truncated' })).toEqual({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'transient' });
    expect(shape({ kind: 'malformed', rule: 'multipart.truncated' }, write)).toEqual({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'ambiguous' });
    expect(shape({ kind: 'tooLarge', limit: 10 })).toEqual({ code: 'SNE_RESPONSE_TOO_LARGE', errorClass: 'permanent' });
    expect(shape({ kind: 'tooLarge' }, write)).toEqual({ code: 'SNE_RESPONSE_TOO_LARGE', errorClass: 'ambiguous' });
    expect(shape({ kind: 'config', code: 'ERR_INVALID_URL' })).toEqual({ code: 'SNE_TRANSPORT_CONFIG', errorClass: 'permanent' });
  });

  it('stamps the system and the operation on every error', () => {
    const e = classifySneFailure({ kind: 'http', status: 500 }, write);
    expect(e.system).toBe('sne');
    expect(e.details).toMatchObject({ operation: 'getNumUnique', httpStatus: 500 });
  });
});

describe('describeHttpClientError', () => {
  it('keeps only the code of a foreign error, never its message', () => {
    const f = describeHttpClientError(Object.assign(new Error('secret body text'), { code: 'ECONNRESET' }));
    expect(f).toEqual({ kind: 'network', code: 'ECONNRESET', sent: false });
    expect(describeHttpClientError(new TypeError('bug'))).toEqual({ kind: 'config', code: 'INTERNAL' });
  });
});
