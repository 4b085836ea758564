/**
 * The fault middleware on a tiny generic app (it knows nothing of the local tool or the SNE): each
 * fault is observed on the wire, and "after processing" faults are shown to let the handler run.
 */
import express from 'express';
import http from 'node:http';
import { FaultInjector, requireBearer, startHttpServer, type RunningHttpServer } from '../../../src/simulators/common';
import { rawRequest, tlsFixtures } from '../support/http';

const TOKEN = 'test-token';

function genericApp(faults: FaultInjector, processed: string[]): express.Express {
  const app = express();
  app.use(requireBearer(TOKEN));
  app.use(faults.adminRouter());
  app.use(faults.middleware());
  app.use(express.json());
  app.post('/things/:id', (req, res) => {
    processed.push(req.params.id);
    res.status(201).json({ id: req.params.id, note: 'a body long enough to be cut in half on the wire' });
  });
  app.get('/things/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  return app;
}

describe('fault injection middleware', () => {
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const faults = new FaultInjector({ seed: 11, now: () => clock });
  const processed: string[] = [];
  let server: RunningHttpServer;

  beforeAll(async () => {
    server = await startHttpServer({ app: genericApp(faults, processed), beforeClose: () => faults.releaseHeld() });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    faults.clear(11);
    processed.length = 0;
  });

  const post = (id: string, timeoutMs?: number) =>
    rawRequest(server.url, { method: 'POST', path: `/things/${id}`, token: TOKEN, body: {}, ...(timeoutMs ? { timeoutMs } : {}) });
  const get = (id: string) => rawRequest(server.url, { path: `/things/${id}`, token: TOKEN });

  it('passes requests through untouched when no fault is set', async () => {
    const res = await post('a');
    expect(res.status).toBe(201);
    expect(processed).toEqual(['a']);
  });

  it('answers a 5xx at a seeded rate, the same sequence for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      faults.clear(5);
      faults.add({ kind: 'error', status: 502, rate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await get(`g${i}`)).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first).toContain(502);
    expect(first).toContain(200);
  });

  it('acts on at most count requests, then removes itself', async () => {
    faults.add({ kind: 'error', count: 2 });
    expect((await post('1')).status).toBe(500);
    expect((await post('2')).status).toBe(500);
    expect((await post('3')).status).toBe(201);
    expect(faults.list()).toEqual([]);
    expect(processed).toEqual(['3']);
  });

  it('limits a fault to a method and a path pattern', async () => {
    faults.add({ kind: 'error', status: 503, method: 'POST', path: '/things/:id' });
    expect((await get('x')).status).toBe(200);
    expect((await post('x')).status).toBe(503);
    faults.clear();
    faults.add({ kind: 'error', path: '/other/*' });
    expect((await post('y')).status).toBe(201);
  });

  it('answers 429 with Retry-After without processing', async () => {
    faults.add({ kind: 'rateLimit', retryAfterSeconds: 7, count: 1 });
    const res = await post('r');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(processed).toEqual([]);
  });

  it('answers 503 during a maintenance window with the seconds left, then lets requests through', async () => {
    clock = Date.parse('2025-03-01T10:00:00Z');
    faults.add({ kind: 'maintenance', until: '2025-03-01T10:01:30Z' });
    const during = await post('m');
    expect(during.status).toBe(503);
    expect(during.headers['retry-after']).toBe('90');
    clock = Date.parse('2025-03-01T10:01:30Z');
    expect((await post('m')).status).toBe(201);
    expect(faults.list()).toEqual([]);
  });

  it('answers 503 in maintenance for a number of requests', async () => {
    faults.add({ kind: 'maintenance', count: 2, retryAfterSeconds: 30 });
    expect((await post('1')).headers['retry-after']).toBe('30');
    expect((await post('2')).status).toBe(503);
    expect((await post('3')).status).toBe(201);
  });

  it('adds seeded latency and still processes the request', async () => {
    faults.add({ kind: 'latency', minMs: 5, maxMs: 20, count: 3 });
    for (const id of ['l1', 'l2', 'l3']) expect((await post(id)).status).toBe(201);
    expect(processed).toEqual(['l1', 'l2', 'l3']);
    expect(faults.list()).toEqual([]);
  });

  it('resets the connection before processing', async () => {
    faults.add({ kind: 'reset', count: 1 });
    await expect(post('z')).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET/) });
    expect(processed).toEqual([]);
  });

  it('hangs without processing, then drops the socket after holdMs', async () => {
    faults.add({ kind: 'hang', holdMs: 50, count: 1 });
    await expect(post('h')).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(processed).toEqual([]);
  });

  it('processes the request but never answers when it times out after processing', async () => {
    faults.add({ kind: 'timeoutAfterProcessing', count: 1 });
    await expect(post('t', 300)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(processed).toEqual(['t']);
  });

  it('processes the request, then sends half the body and cuts the connection when truncating', async () => {
    faults.add({ kind: 'truncated', count: 1 });
    await expect(post('c')).rejects.toMatchObject({ code: expect.stringMatching(/ABORTED|ECONNRESET/) });
    expect(processed).toEqual(['c']);
  });

  it('processes the request, then sends a complete answer whose JSON body is cut in half when malformed', async () => {
    faults.add({ kind: 'malformed', count: 1 });
    const res = await post('k');
    expect(res.status).toBe(201);
    expect(() => JSON.parse(res.body)).toThrow(SyntaxError);
    expect(res.body.length).toBeGreaterThan(0);
    expect(processed).toEqual(['k']);
  });

  it('is switched at run time through the admin routes, which are never faulted themselves', async () => {
    const added = await rawRequest(server.url, {
      method: 'POST',
      path: '/_sim/faults',
      token: TOKEN,
      body: { seed: 3, faults: [{ kind: 'error', status: 500 }, { kind: 'latency', ms: 1 }] },
    });
    expect(added.status).toBe(201);
    expect(JSON.parse(added.body)).toMatchObject({ seed: 3, faults: [{ kind: 'error' }, { kind: 'latency' }] });
    expect((await post('a')).status).toBe(500);
    const listed = JSON.parse((await rawRequest(server.url, { path: '/_sim/faults', token: TOKEN })).body);
    expect(listed.faults[0]).toMatchObject({ kind: 'error', fired: 1 });
    expect((await rawRequest(server.url, { method: 'DELETE', path: '/_sim/faults', token: TOKEN })).status).toBe(204);
    expect((await post('b')).status).toBe(201);
  });

  it('refuses an invalid fault through the admin route with the problems listed', async () => {
    const res = await rawRequest(server.url, { method: 'POST', path: '/_sim/faults', token: TOKEN, body: { kind: 'error', status: 200 } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_fault', errors: [expect.objectContaining({ rule: expect.any(String) })] });
    expect(faults.list()).toEqual([]);
  });

  it('requires the bearer token on the admin routes too', async () => {
    const res = await rawRequest(server.url, { method: 'DELETE', path: '/_sim/faults', token: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('startHttpServer', () => {
  it('closes idempotently even with an idle keep-alive socket and a socket held by a fault', async () => {
    const faults = new FaultInjector();
    const server = await startHttpServer({
      app: genericApp(faults, []),
      beforeClose: () => faults.releaseHeld(),
      graceMs: 60_000,
    });
    const agent = new http.Agent({ keepAlive: true });
    await rawRequest(server.url, { path: '/things/1', token: TOKEN, agent });
    faults.add({ kind: 'hang' });
    const held = rawRequest(server.url, { path: '/things/2', token: TOKEN }).catch((e: unknown) => e);
    // Wait until the server holds that request (no fixed sleep: the machine may be slow).
    while (faults.list()[0]?.fired !== 1) await new Promise((r) => setTimeout(r, 5));
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    expect(await held).toMatchObject({ code: 'ECONNRESET' });
    await expect(rawRequest(server.url, { path: '/things/3', token: TOKEN })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    agent.destroy();
  });

  it('serves HTTPS and, with requestCert, refuses a client without a certificate of the CA', async () => {
    const tls = tlsFixtures();
    const server = await startHttpServer({
      app: genericApp(new FaultInjector(), []),
      tls: { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca, requestCert: true },
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ok = await rawRequest(server.url, {
        path: '/things/1',
        token: TOKEN,
        tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      });
      expect(ok.status).toBe(200);
      await expect(rawRequest(server.url, { path: '/things/1', token: TOKEN, tls: { ca: tls.ca } })).rejects.toBeDefined();
    } finally {
      await server.close();
    }
  });
});
