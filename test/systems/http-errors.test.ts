import { errorForBadResponse, errorForFailure, errorForStatus, parseRetryAfter, type HttpCall } from '../../src/systems/http-errors';

const read: HttpCall = { system: 'sne', codePrefix: 'SNE', method: 'get', route: '/demandes/{id}' };
const write: HttpCall = { ...read, method: 'POST' };
const NOW = Date.parse('2025-06-01T12:00:00Z');

describe('HTTP error mapping shared by the clients', () => {
  it.each([
    [401, 'SNE_AUTH', 'permanent', 'permanent'],
    [403, 'SNE_AUTH', 'permanent', 'permanent'],
    [404, 'SNE_NOT_FOUND', 'permanent', 'permanent'],
    [408, 'SNE_TIMEOUT', 'transient', 'transient'],
    [409, 'SNE_CONFLICT', 'permanent', 'permanent'],
    [413, 'SNE_BAD_REQUEST', 'permanent', 'permanent'],
    [422, 'SNE_BAD_REQUEST', 'permanent', 'permanent'],
    [429, 'SNE_RATE_LIMITED', 'transient', 'transient'],
    [500, 'SNE_SERVER_ERROR', 'transient', 'transient'],
    [502, 'SNE_SERVER_ERROR', 'transient', 'transient'],
    [503, 'SNE_UNAVAILABLE', 'transient', 'transient'],
    [504, 'SNE_GATEWAY_TIMEOUT', 'transient', 'ambiguous'],
    [302, 'SNE_UNEXPECTED_STATUS', 'permanent', 'permanent'],
  ])('maps status %i to %s, %s for a read and %s for a write', (status, code, readClass, writeClass) => {
    expect(errorForStatus(read, status)).toMatchObject({ code, errorClass: readClass, system: 'sne' });
    expect(errorForStatus(write, status)).toMatchObject({ code, errorClass: writeClass });
  });

  it('names the method and the route template in message and details', () => {
    const err = errorForStatus(read, 503, '5');
    expect(err.message).toBe('sne GET /demandes/{id}: answered 503 (unavailable)');
    expect(err.details).toEqual({ method: 'GET', route: '/demandes/{id}', status: 503 });
    expect(err.retryAfterSeconds).toBe(5);
  });

  it('reads Retry-After as seconds or as an HTTP date, and ignores garbage', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter(['7'], NOW)).toBe(7);
    expect(parseRetryAfter(new Date(NOW + 61_000).toUTCString(), NOW)).toBe(61);
    expect(parseRetryAfter(new Date(NOW - 10_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('classifies network failures by code: unreachable is transient, a lost answer to a write is ambiguous', () => {
    const net = (code: string) => Object.assign(new Error('x'), { code });
    expect(errorForFailure(write, net('ECONNREFUSED'))).toMatchObject({ code: 'SNE_UNREACHABLE', errorClass: 'transient' });
    expect(errorForFailure(write, net('ENOTFOUND'))).toMatchObject({ code: 'SNE_UNREACHABLE', errorClass: 'transient' });
    expect(errorForFailure(write, net('ECONNABORTED'))).toMatchObject({ code: 'SNE_TIMEOUT', errorClass: 'ambiguous' });
    expect(errorForFailure(read, net('ETIMEDOUT'))).toMatchObject({ code: 'SNE_TIMEOUT', errorClass: 'transient' });
    expect(errorForFailure(write, net('ECONNRESET'))).toMatchObject({ code: 'SNE_CONNECTION_LOST', errorClass: 'ambiguous' });
    expect(errorForFailure(write, net('CERT_HAS_EXPIRED'))).toMatchObject({ code: 'SNE_TLS', errorClass: 'permanent' });
    expect(errorForFailure(write, new Error('odd'))).toMatchObject({ code: 'SNE_NETWORK', errorClass: 'ambiguous' });
    expect(errorForFailure(read, 'not even an error')).toMatchObject({ code: 'SNE_NETWORK', errorClass: 'transient' });
  });

  it('uses the status of an error answer, but treats a success whose body was cut as a lost connection', () => {
    const withResponse = (status: number, code?: string) =>
      Object.assign(new Error('x'), { code, response: { status, headers: { 'retry-after': '9' } } });
    expect(errorForFailure(read, withResponse(429))).toMatchObject({ code: 'SNE_RATE_LIMITED', retryAfterSeconds: 9 });
    expect(errorForFailure(write, withResponse(200, 'ERR_BAD_RESPONSE'))).toMatchObject({
      code: 'SNE_CONNECTION_LOST',
      errorClass: 'ambiguous',
      details: { status: 200, networkCode: 'ERR_BAD_RESPONSE' },
    });
  });

  it('lets the caller say a POST has no effect (a SOAP read), so its failures stay transient', () => {
    const soapRead: HttpCall = { ...write, write: false };
    expect(errorForFailure(soapRead, Object.assign(new Error('x'), { code: 'ECONNRESET' })).errorClass).toBe('transient');
    expect(errorForBadResponse(soapRead, 200).errorClass).toBe('transient');
    expect(errorForBadResponse(write, 200)).toMatchObject({ code: 'SNE_BAD_RESPONSE', errorClass: 'ambiguous' });
  });
});
