import * as net from 'node:net';
import nock from 'nock';
import {
  buildSneFaultResponse,
  buildSneResponse,
  buildSneRequest,
  createSneTransport,
  type SneRequestInput,
  type SneTransport,
} from '../../../src/systems/sne/wire';
import { GatewayError } from '../../../src/errors';
import { CERT_PEM, DEMANDE_XML } from './samples';

const BASE = 'https://sne.test';
const PATH = '/services/DemandeLogementImplService/';
const CERT = { nomCertificat: 'CERG1226-201701131455.pem', certificat: CERT_PEM };
const WRITE: SneRequestInput = { operation: 'getNumUnique', nomFichierDemande: 'DEMG1226-201701131455-000001.xml', fichierDemande: DEMANDE_XML, ...CERT };
const READ: SneRequestInput = { operation: 'getDemandeLogement', numUnique: '1110318016982G1104', ...CERT };
const DOC = '<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01"><demande><demandeLogement><numUnique>1110318016982G1104</numUnique></demandeLogement></demande></interfaceNuu>';

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the call succeeded');
}

/** The error as it would be logged or stored: no header, no body, no foreign message, no cause. */
function expectSafe(e: GatewayError): void {
  const json = JSON.stringify(e.toJSON());
  expect(json).not.toContain('Zoé');
  expect(json).not.toContain('BEGIN CERTIFICATE');
  expect(json).not.toContain('<html');
  expect(json).not.toContain('secret-header');
  expect(e.cause).toBeUndefined();
}

describe('createSneTransport (HTTP mocked with nock)', () => {
  let transport: SneTransport;
  const clock = (): number => Date.parse('2024-05-02T10:00:00.000Z');

  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  beforeEach(() => {
    transport = createSneTransport({ url: `${BASE}/`, timeoutMs: 5000, clock });
  });
  afterEach(() => {
    transport.close();
    nock.cleanAll();
  });
  // Jest may run another nock-using file in the same worker: leave nock as it was found.
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });

  it('POSTs the exact request bytes to the service path and returns the demand of an MTOM answer', async () => {
    const expected = buildSneRequest(WRITE);
    const answer = buildSneResponse({ operation: 'getNumUnique', payload: DOC });
    const scope = nock(BASE)
      .matchHeader('content-type', expected.contentType)
      .matchHeader('mime-version', '1.0')
      .post(PATH, (body: string) => body === expected.body.toString('utf8'))
      .reply(200, answer.body, { 'Content-Type': answer.contentType });
    const r = await transport.call(WRITE);
    expect(r).toEqual({ kind: 'interfaceNuu', xml: DOC, anomalies: [], packaging: 'mtom' });
    expect(transport.endpoint).toBe('https://sne.test/services/DemandeLogementImplService/');
    scope.done();
  });

  it('reads a plain SOAP answer', async () => {
    const answer = buildSneResponse({ operation: 'getDemandeLogement', payload: DOC, packaging: 'soap' });
    nock(BASE).post(PATH).reply(200, answer.body, { 'Content-Type': answer.contentType });
    expect(await transport.call(READ)).toMatchObject({ kind: 'interfaceNuu', packaging: 'soap', xml: DOC });
  });

  it('turns a SOAP fault into a permanent SNE_SOAP_FAULT with the service reason', async () => {
    const fault = buildSneFaultResponse({ code: 'Sender', reason: 'Le nom du certificat associé [] n’est pas conforme.' });
    nock(BASE).post(PATH).reply(fault.status, fault.body, { 'Content-Type': fault.contentType });
    const e = await rejection(transport.call(READ));
    expect(e).toMatchObject({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent' });
    expect(e.message).toContain('Le nom du certificat associé [] n’est pas conforme.');
    expect(e.details).toMatchObject({ faultCode: 'Sender', operation: 'getDemandeLogement' });
  });

  it('retries a 5xx without fault, keeping the page out of the error', async () => {
    nock(BASE).post(PATH).reply(502, '<html><body>Bad gateway</body></html>', { 'Content-Type': 'text/html', 'X-Debug': 'secret-header' });
    const e = await rejection(transport.call(WRITE));
    expect(e).toMatchObject({ code: 'SNE_UNAVAILABLE', errorClass: 'transient' });
    expect(e.details.httpStatus).toBe(502);
    expectSafe(e);
  });

  it('retries a 503 maintenance after the Retry-After seconds', async () => {
    nock(BASE).post(PATH).reply(503, 'Maintenance', { 'Retry-After': '900' });
    const e = await rejection(transport.call(READ));
    expect(e).toMatchObject({ code: 'SNE_MAINTENANCE', errorClass: 'transient', retryAfterSeconds: 900 });
  });

  it('retries a 429 after the Retry-After seconds or HTTP date', async () => {
    nock(BASE).post(PATH).reply(429, '', { 'Retry-After': '30' });
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_RATE_LIMITED', errorClass: 'transient', retryAfterSeconds: 30 });
    nock(BASE).post(PATH).reply(429, '', { 'Retry-After': 'Thu, 02 May 2024 10:02:00 GMT' });
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_RATE_LIMITED', retryAfterSeconds: 120 });
  });

  it('does not retry a 4xx, and reports 403 as an access problem', async () => {
    nock(BASE).post(PATH).reply(404, 'Not found');
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_HTTP_4XX', errorClass: 'permanent', details: { httpStatus: 404 } });
    nock(BASE).post(PATH).reply(403, 'Forbidden');
    expect(await rejection(transport.call(WRITE))).toMatchObject({ code: 'SNE_AUTH', errorClass: 'permanent' });
  });

  it('makes a timeout of a read transient', async () => {
    nock(BASE).post(PATH).delay(300).reply(200, 'late');
    const e = await rejection(transport.call(READ, { timeoutMs: 50 }));
    expect(e).toMatchObject({ code: 'SNE_TIMEOUT', errorClass: 'transient' });
  });

  it('makes a timeout of a sent write ambiguous', async () => {
    nock(BASE).post(PATH).delay(300).reply(200, 'late');
    const e = await rejection(transport.call(WRITE, { timeoutMs: 50 }));
    expect(e).toMatchObject({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous', details: { sent: true, reason: 'timeout' } });
  });

  it('makes a socket hang-up after a write was sent ambiguous, and after a read transient', async () => {
    const hangUp = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    nock(BASE).post(PATH).replyWithError(hangUp());
    const w = await rejection(transport.call(WRITE));
    expect(w).toMatchObject({ code: 'SNE_TIMEOUT_AFTER_SEND', errorClass: 'ambiguous', details: { networkCode: 'ECONNRESET', sent: true } });
    expectSafe(w);
    nock(BASE).post(PATH).replyWithError(hangUp());
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_NETWORK', errorClass: 'transient' });
  });

  it('retries a DNS failure, even of a write', async () => {
    nock(BASE).post(PATH).replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND sne.test'), { code: 'ENOTFOUND' }));
    expect(await rejection(transport.call(WRITE))).toMatchObject({ code: 'SNE_NETWORK', errorClass: 'transient', details: { networkCode: 'ENOTFOUND' } });
  });

  it('makes a truncated multipart answer transient on a read and ambiguous on a write', async () => {
    const answer = buildSneResponse({ operation: 'getNumUnique', payload: DOC });
    const cut = answer.body.subarray(0, answer.body.length - 25);
    nock(BASE).post(PATH).reply(200, cut, { 'Content-Type': answer.contentType });
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'transient', details: { rule: 'multipart.truncated' } });
    nock(BASE).post(PATH).reply(200, cut, { 'Content-Type': answer.contentType });
    expect(await rejection(transport.call(WRITE))).toMatchObject({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'ambiguous' });
  });

  it('makes an answer cut before its Content-Length ambiguous on a write', async () => {
    nock(BASE).post(PATH).reply(200, '--b\r\nContent-Type: appl', { 'Content-Type': 'multipart/related; boundary=b', 'Content-Length': '5000' });
    const e = await rejection(transport.call(WRITE));
    expect(e).toMatchObject({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'ambiguous', details: { rule: 'response.truncated' } });
  });

  it('refuses an answer over the size limit: permanent on a read', async () => {
    const small = createSneTransport({ url: BASE, maxResponseBytes: 64 });
    nock(BASE).post(PATH).reply(200, 'x'.repeat(1000), { 'Content-Type': 'application/soap+xml' });
    expect(await rejection(small.call(READ))).toMatchObject({ code: 'SNE_RESPONSE_TOO_LARGE', errorClass: 'permanent' });
    small.close();
  });

  it('retries a refused connection, even of a write', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const closed = createSneTransport({ url: `https://127.0.0.1:${port}` });
    const e = await rejection(closed.call(WRITE));
    expect(e).toMatchObject({ code: 'SNE_NETWORK', errorClass: 'transient', details: { networkCode: 'ECONNREFUSED', sent: false } });
    closed.close();
  });

  it('refuses calls once closed; closing twice is harmless', async () => {
    transport.close();
    transport.close();
    expect(await rejection(transport.call(READ))).toMatchObject({ code: 'SNE_TRANSPORT_CONFIG', errorClass: 'permanent' });
  });

  it('reports unreadable TLS files and bad URLs as configuration errors', () => {
    expect(() => createSneTransport({ url: BASE, tls: { cert: '/nonexistent/client.crt', key: '/nonexistent/client.key' } })).toThrow(
      /cannot read the TLS certificate file \(ENOENT\)/,
    );
    expect(() => createSneTransport({ url: 'not a url' })).toThrow(/not a valid URL/);
    expect(() => createSneTransport({ url: 'ftp://sne.test' })).toThrow(/must be http/);
  });
});
