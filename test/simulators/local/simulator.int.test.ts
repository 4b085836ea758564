/**
 * The local-tool simulator over HTTP: what a vendor's implementation must also do (contract rules),
 * checked on the wire, plus the simulator-only admin routes. The gateway's client is tested against it
 * in test/systems/local.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import { parse } from 'yaml';
import { FaultInjector } from '../../../src/simulators/common';
import { createLocalApp, LocalStore, startLocalSimulator, type RunningLocalSimulator } from '../../../src/simulators/local';
import { rawRequest, tlsFixtures } from '../support/http';

const TOKEN = 'sim-token';
const OPENAPI = path.join(__dirname, '..', '..', '..', 'docs', 'local-api.openapi.yaml');

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { tags?: string[] }>>;
}

/** Every `METHOD /path/{param}` an express app routes, nested routers included. */
function routesOf(app: Express): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
  const out: string[] = [];
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          out.push(`${m.toUpperCase()} ${layer.route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`);
        }
      } else if (layer.handle.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out.sort();
}

describe('local API contract document', () => {
  const doc = parse(fs.readFileSync(OPENAPI, 'utf8')) as OpenApiDoc;

  it('is OpenAPI 3.1 and documents exactly the routes the simulator serves', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const store = new LocalStore({ dbPath: ':memory:' });
    try {
      expect(routesOf(createLocalApp({ store, token: TOKEN, faults: new FaultInjector() }))).toEqual(documented);
    } finally {
      store.close();
    }
  });

  it('has every $ref pointing at something the document defines', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref.startsWith('#/')).toBe(true);
      const target = ref
        .slice(2)
        .split('/')
        .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], doc);
      expect({ ref, found: target !== undefined }).toEqual({ ref, found: true });
    }
  });

  it('tags every simulator-only route `simulator` and no contract route', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (method === 'parameters') continue;
        expect({ route: `${method} ${p}`, simulatorOnly: op.tags?.includes('simulator') }).toEqual({
          route: `${method} ${p}`,
          simulatorOnly: p.startsWith('/_sim/'),
        });
      }
    }
  });
});

describe('local simulator over HTTP', () => {
  let sim: RunningLocalSimulator;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(sim.url, { token: TOKEN, ...r });
  const put = (numUnique: string, body: unknown, headers: Record<string, string> = {}) =>
    req({ method: 'PUT', path: `/demandes/${numUnique}`, body, headers });

  beforeAll(async () => {
    sim = await startLocalSimulator({
      token: TOKEN,
      dbPath: ':memory:',
      // A stand-in for the canonical schema: a rule on a personal field, to check values never echo.
      validateRecord: (record) => {
        const r = record as { demandeur?: { dateNaissance?: unknown } };
        return typeof r.demandeur?.dateNaissance === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(r.demandeur.dateNaissance)
          ? [{ path: 'demandeur.dateNaissance', rule: 'iso_date', message: 'must be a date YYYY-MM-DD' }]
          : [];
      },
    });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    expect((await req({ method: 'POST', path: '/_sim/reset' })).status).toBe(204);
  });

  it('answers 401 with WWW-Authenticate on every route without the right bearer token', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/demandes'],
      ['GET', '/demandes/N1'],
      ['PUT', '/demandes/N1'],
      ['GET', '/evenements'],
      ['POST', '/evenements'],
      ['POST', '/evenements/e1/acquittements'],
      ['GET', '/evenements/e1/acquittements'],
      ['GET', '/_sim/stats'],
      ['POST', '/_sim/reset'],
      ['POST', '/_sim/faults'],
      ['GET', '/nowhere'],
    ];
    for (const [method, p] of routes) {
      for (const token of [null, 'wrong', `${TOKEN}x`]) {
        const res = await rawRequest(sim.url, { method, path: p, token, body: method === 'GET' ? undefined : {} });
        expect({ method, p, status: res.status, auth: res.headers['www-authenticate'] }).toEqual({
          method,
          p,
          status: 401,
          auth: 'Bearer',
        });
      }
    }
    const basic = await rawRequest(sim.url, { path: '/demandes', token: null, headers: { Authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
  });

  it('sends the version as a strong ETag and accepts it quoted or bare in If-Match', async () => {
    const created = await put('N1', { record: { numUnique: 'N1', a: 1 } });
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.headers.location).toBe('/demandes/N1');
    expect((await put('N1', { record: { numUnique: 'N1', a: 2 } }, { 'If-Match': '"1"' })).headers.etag).toBe('"2"');
    expect((await put('N1', { record: { numUnique: 'N1', a: 3 } }, { 'If-Match': '2' })).status).toBe(200);
    expect((await req({ path: '/demandes/N1' })).headers.etag).toBe('"3"');
  });

  it('refuses a malformed request with 400 and a stable error code', async () => {
    const cases: Array<[Parameters<typeof rawRequest>[1], string]> = [
      [{ path: '/demandes?cursor=garbage' }, 'invalid_cursor'],
      [{ path: '/demandes?limit=0' }, 'invalid_limit'],
      [{ path: '/demandes?limit=1001' }, 'invalid_limit'],
      [{ path: '/evenements?after=-1' }, 'invalid_after'],
      [{ method: 'PUT', path: '/demandes/N1', body: { record: { numUnique: 'N1' } }, headers: { 'If-Match': 'v1' } }, 'invalid_if_match'],
      [{ method: 'PUT', path: '/demandes/N1', body: '{"record": {' }, 'invalid_json'],
      [{ path: '/demandes/bad%20id' }, 'invalid_num_unique'],
    ];
    for (const [r, error] of cases) {
      const res = await req(r);
      expect({ error, status: res.status, body: JSON.parse(res.body).error }).toEqual({ error, status: 400, body: error });
    }
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await req({ method: 'PUT', path: '/demandes/N1', body: 'record=1', headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(415);
  });

  it('lists every rule a record breaks with path and rule, never echoing the values', async () => {
    const secret = 'Dupont-1987-XYZ';
    const wrongNum = await put('N1', { record: { numUnique: 'N2', nom: secret } });
    expect(wrongNum.status).toBe(422);
    expect(JSON.parse(wrongNum.body)).toEqual({
      error: 'invalid_record',
      message: 'the record breaks 1 rule(s)',
      errors: [{ path: 'numUnique', rule: 'matches_path', message: 'numUnique must equal the numUnique of the URL' }],
    });
    const badDate = await put('N1', { record: { numUnique: 'N1', demandeur: { dateNaissance: secret } } });
    expect(badDate.status).toBe(422);
    expect(JSON.parse(badDate.body).errors).toEqual([
      { path: 'demandeur.dateNaissance', rule: 'iso_date', message: 'must be a date YYYY-MM-DD' },
    ]);
    const noRecord = await put('N1', { nom: secret });
    expect(noRecord.status).toBe(422);
    const badEvent = await req({ method: 'POST', path: '/evenements', body: { numUnique: 'N1', type: 42, occurredAt: secret } });
    expect(badEvent.status).toBe(422);
    expect(JSON.parse(badEvent.body).errors.map((i: { path: string }) => i.path).sort()).toEqual(['occurredAt', 'type']);
    for (const res of [wrongNum, badDate, noRecord, badEvent]) expect(res.body).not.toContain(secret);
    expect((await req({ path: '/_sim/stats' })).body).toContain('"writes":0');
  });

  it('answers 404 for an unknown demand, event or route', async () => {
    expect(JSON.parse((await req({ path: '/demandes/N404' })).body)).toMatchObject({ error: 'not_found' });
    expect((await put('N404', { record: { numUnique: 'N404' } }, { 'If-Match': '"1"' })).status).toBe(404);
    expect((await req({ path: '/evenements/e404/acquittements' })).status).toBe(404);
    expect((await req({ method: 'POST', path: '/evenements/e404/acquittements', body: { status: 'delivered' } })).status).toBe(404);
    expect(JSON.parse((await req({ path: '/demande' })).body)).toMatchObject({ error: 'no_route' });
  });

  it('gives nextAfter equal to after when the feed has nothing new', async () => {
    const res = await req({ path: '/evenements?after=42' });
    expect(JSON.parse(res.body)).toEqual({ items: [], nextAfter: 42 });
  });

  it('simulates a local-side change with a JSON patch, reported in the stats', async () => {
    await put('N1', { record: { numUnique: 'N1', situation: { emploi: 'CDI' } } });
    const touched = await req({
      method: 'POST',
      path: '/_sim/demandes/N1/touch',
      body: { patch: [{ op: 'replace', path: '/situation/emploi', value: 'CDD' }] },
    });
    expect(touched.status).toBe(200);
    expect(JSON.parse(touched.body)).toMatchObject({ numUnique: 'N1', version: 2 });
    expect(JSON.parse((await req({ path: '/demandes/N1' })).body).record).toEqual({ numUnique: 'N1', situation: { emploi: 'CDD' } });
    const bare = await req({ method: 'POST', path: '/_sim/demandes/N1/touch' });
    expect(JSON.parse(bare.body).version).toBe(3);
    const badPatch = await req({ method: 'POST', path: '/_sim/demandes/N1/touch', body: { patch: [{ op: 'remove', path: '/nope' }] } });
    expect(badPatch.status).toBe(400);
    expect((await req({ method: 'POST', path: '/_sim/demandes/N9/touch' })).status).toBe(404);
    const stats = JSON.parse((await req({ path: '/_sim/stats?numUnique=N1&numUnique=N9' })).body);
    expect(stats).toMatchObject({ demandes: 1, writes: 1, localChanges: 2, writesByNumUnique: { N1: 1, N9: 0 } });
  });

  it('clears faults as well as data on reset', async () => {
    sim.faults.add({ kind: 'error' });
    expect((await req({ path: '/demandes' })).status).toBe(500);
    await req({ method: 'POST', path: '/_sim/reset' });
    expect((await req({ path: '/demandes' })).status).toBe(200);
  });
});

describe('local simulator over TLS', () => {
  it('serves the API over HTTPS with the given certificate', async () => {
    const tls = tlsFixtures();
    const sim = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:', tls: { cert: tls.serverCert, key: tls.serverKey } });
    try {
      expect(sim.url.startsWith('https://')).toBe(true);
      const res = await rawRequest(sim.url, { path: '/demandes', token: TOKEN, tls: { ca: tls.ca } });
      expect(JSON.parse(res.body)).toEqual({ items: [], nextCursor: null });
    } finally {
      await sim.close();
    }
  });
});
