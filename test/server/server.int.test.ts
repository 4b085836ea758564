/**
 * The web server on an ephemeral port, with real stores and a real BullMQ queue on Redis: authentication
 * (form, Basic, Bearer), roles, the dashboard, dead letters with their audit trail, CSRF, readiness,
 * metrics and reports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { hashPassword } from '../../src/config';
import { PermanentError } from '../../src/errors';
import { captureLogs } from '../../src/logging';
import { Circuit } from '../../src/queue/circuit';
import { ConflictStore } from '../../src/state/conflicts';
import { CursorStore } from '../../src/state/cursors';
import { DeadLetterStore, type DeadLetter } from '../../src/state/dead-letters';
import { QuarantineStore } from '../../src/state/quarantine';
import { RunStore } from '../../src/state/runs';
import { createMetrics, createWebServer, type Metrics, type Readiness, type WebServer } from '../../src/server';
import { REDIS_URL, useTestRedis } from '../support/redis';

const t = useTestRedis('server');

const OPERATOR = { name: 'olga', password: 'operator-secret-1' };
const VIEWER = { name: 'victor', password: 'viewer-secret-1' };
const VIEWER_TOKEN = 'viewer-token-0123456789abcdef0123456789';
const OPERATOR_TOKEN = 'operator-token-0123456789abcdef012345678';
const SEALED_VALUE = 'v1.key1.c2VhbGVkLXBheWxvYWQtbm90LWNsZWFy';

const logs = captureLogs();
const reportDir = mkdtempSync(join(tmpdir(), 'passerelle-reports-'));
const stores = {
  runs: new RunStore(t.redis, t.keys),
  deadLetters: new DeadLetterStore(t.redis, t.keys),
  quarantine: new QuarantineStore(t.redis, t.keys),
  cursors: new CursorStore(t.redis, t.keys),
  conflicts: new ConflictStore(t.redis, t.keys),
};
const replays: Array<{ id: string; who: string }> = [];
let replayAnswer = { ok: true, message: 'job re-enqueued' };
let readiness: () => Promise<Readiness> = async () => ({ ready: true, checks: [{ name: 'redis', ok: true }] });

let connections: Redis[] = [];
let queue: Queue;
let metrics: Metrics;
let web: WebServer;
let base: string;
let http: AxiosInstance;
let failedJob: Job;

const basic = (u: { name: string; password: string }) => ({
  Authorization: `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`,
});
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function connection(): Redis {
  const c = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(c);
  return c;
}

/** Logs in through the form; returns the session cookie (`name=value`). */
async function login(u: { name: string; password: string }): Promise<string> {
  const res = await http.post('/login', formBody({ username: u.name, password: u.password, next: '/runs' }), { headers: FORM });
  expect(res.status).toBe(303);
  const cookie = (res.headers['set-cookie'] ?? [])[0] ?? '';
  return cookie.split(';')[0]!;
}

async function csrfOf(cookie: string): Promise<string> {
  const res = await http.get('/api/session', { headers: { Cookie: cookie } });
  return res.data.csrfToken as string;
}

async function addDeadLetter(over: Partial<DeadLetter> = {}): Promise<DeadLetter> {
  return stores.deadLetters.add({
    queue: 'deliver',
    system: 'local',
    origin: 'sne:radiees',
    numUnique: '035241234567890123',
    code: 'LOCAL_BAD_REQUEST',
    errorClass: 'permanent',
    message: 'demandeur.dateNaissance: required [required]',
    attempts: 1,
    job: { name: 'deliver', data: { numUnique: '035241234567890123', hash: 'h1' } },
    sealedInput: SEALED_VALUE,
    ...over,
  });
}

beforeAll(async () => {
  const users = [
    { name: OPERATOR.name, passwordHash: await hashPassword(OPERATOR.password, { ln: 10 }), role: 'operator' as const },
    { name: VIEWER.name, passwordHash: await hashPassword(VIEWER.password, { ln: 10 }), role: 'viewer' as const },
  ];
  const tokens = [
    { name: 'prometheus', token: VIEWER_TOKEN, role: 'viewer' as const },
    { name: 'ops-script', token: OPERATOR_TOKEN, role: 'operator' as const },
  ];
  queue = new Queue('deliver', { connection: connection(), prefix: t.keys.bull });
  const circuit = new Circuit(t.redis, t.keys, { failureThreshold: 2, openMs: 60_000 });
  metrics = createMetrics({
    queues: [queue],
    stores,
    circuit,
    circuitTargets: ['sne'],
    cursorsExpectedIntervals: { 'sne:radiees': 900 },
    redis: t.redis,
    processMetrics: false,
  });

  // One job that fails for good, with a sealed payload in its data.
  const worker = new Worker(
    'deliver',
    async () => {
      throw new PermanentError('TEST_REFUSED', 'refused on purpose');
    },
    { connection: connection(), prefix: t.keys.bull, autorun: false },
  );
  metrics.observeWorker(worker);
  const failed = new Promise<void>((resolve) => worker.once('failed', () => resolve()));
  failedJob = await queue.add('deliver', {
    numUnique: '035241234567890123',
    sealed: SEALED_VALUE,
    nested: { payload: SEALED_VALUE, list: [{ sealedInput: SEALED_VALUE }] },
  });
  void worker.run();
  await failed;
  await worker.close();

  await stores.cursors.set('sne:radiees', '2026-01-01T00:00:00.000Z');
  await stores.quarantine.addMany([
    { source: 'dispatch', file: 'DIS_1.xml', index: 3, issues: [{ path: 'demandeur.nom', rule: 'required', message: 'required' }], sealedInput: SEALED_VALUE },
  ]);
  await stores.conflicts.add({ numUnique: '035249999999999999', source: 'sne:radiees', at: '2026-01-02T00:00:00.000Z', hash: 'abc' });
  await stores.runs.start({ id: 'run-1', kind: 'pull', source: 'sne:radiees', trigger: 'schedule' });

  writeFileSync(join(reportDir, 'reconcile-2026-01-05.html'), '<!doctype html><title>r</title><p id="report-body">42 mismatches</p>');
  writeFileSync(join(reportDir, 'secret.txt'), 'not a report');

  web = createWebServer({
    host: '127.0.0.1',
    port: 0,
    users,
    tokens,
    queues: [queue],
    stores,
    readiness: () => readiness(),
    metrics: metrics.registry,
    logger: logs.logger,
    replayDeadLetter: async (id, who) => {
      replays.push({ id, who });
      return replayAnswer;
    },
    listReports: async () => [{ id: 'reconcile-2026-01-05', createdAt: '2026-01-05T03:00:00.000Z', title: 'Nightly reconciliation', format: 'html' }],
    reportFile: (id) => join(reportDir, `${id}.html`),
  });
  base = (await web.listen()).url;
  http = axios.create({ baseURL: base, validateStatus: () => true, maxRedirects: 0 });
});

afterAll(async () => {
  await web.close();
  await queue.close();
  for (const c of connections) c.disconnect();
  connections = [];
  rmSync(reportDir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('refuses to start without any user or token (no default credentials)', () => {
    expect(() =>
      createWebServer({
        host: '127.0.0.1',
        port: 0,
        users: [],
        tokens: [],
        queues: [],
        stores,
        readiness,
        metrics: metrics.registry,
        logger: logs.logger,
        replayDeadLetter: async () => ({ ok: true, message: '' }),
      }),
    ).toThrow(expect.objectContaining({ code: 'WEB_NO_CREDENTIALS', errorClass: 'permanent' }));
  });

  it('answers 401 with a challenge to an API call or a dashboard API call without credentials', async () => {
    for (const path of ['/api/runs', '/api/dead-letters', '/queues/api/queues', '/metrics']) {
      const res = await http.get(path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/Basic realm="passerelle"/);
    }
  });

  it('sends a browser without a session to the login form, then back where it was going', async () => {
    const res = await http.get('/queues', { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fqueues');
    const page = await http.get('/login?next=%2Fqueues', { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.data).toContain('id="login-form"');
    expect(page.data).toContain('value="/queues"');
  });

  it('logs a user in through the form with an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await http.post('/login', formBody({ username: OPERATOR.name, password: OPERATOR.password, next: '/runs' }), { headers: FORM });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/runs');
    const cookie = (res.headers['set-cookie'] ?? [])[0] ?? '';
    expect(cookie).toMatch(/^passerelle_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await http.get('/runs', { headers: { Cookie: cookie.split(';')[0]!, Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.data).toContain('id="runs"');
    expect(page.data).toContain('id="run-run-1"');
    expect(page.data).toContain('<span id="current-user">olga</span>');
  });

  it('refuses a wrong password on the form without setting a cookie, and never redirects off-site', async () => {
    const wrong = await http.post('/login', formBody({ username: OPERATOR.name, password: 'nope', next: '/runs' }), { headers: FORM });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.data).toContain('id="login-error"');
    const offsite = await http.post('/login', formBody({ username: OPERATOR.name, password: OPERATOR.password, next: '//evil.example/x' }), {
      headers: FORM,
    });
    expect(offsite.headers.location).toBe('/');
  });

  it('refuses a forged or tampered session cookie', async () => {
    const cookie = await login(VIEWER);
    const [name, value] = cookie.split('=') as [string, string];
    const [body, sig] = value.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), u: OPERATOR.name })).toString('base64url');
    const res = await http.get('/api/session', { headers: { Cookie: `${name}=${forgedBody}.${sig}` } });
    expect(res.status).toBe(401);
  });

  it('accepts HTTP Basic and Bearer tokens, with their roles, and refuses wrong ones', async () => {
    expect((await http.get('/api/session', { headers: basic(VIEWER) })).data).toMatchObject({ name: 'victor', role: 'viewer', via: 'basic' });
    // The second check comes from the short cache of successful verifications: same answer.
    expect((await http.get('/api/session', { headers: basic(VIEWER) })).data).toMatchObject({ name: 'victor', role: 'viewer' });
    expect((await http.get('/api/session', { headers: bearer(OPERATOR_TOKEN) })).data).toMatchObject({
      name: 'token:ops-script',
      role: 'operator',
      via: 'bearer',
    });
    expect((await http.get('/api/session', { headers: basic({ name: VIEWER.name, password: 'wrong' }) })).status).toBe(401);
    expect((await http.get('/api/session', { headers: bearer(`${VIEWER_TOKEN}x`) })).status).toBe(401);
    expect((await http.get('/api/session', { headers: basic({ name: 'nobody', password: 'x' }) })).status).toBe(401);
  });

  it('logs out: the cookie is cleared and the old session no longer works', async () => {
    const cookie = await login(VIEWER);
    const csrf = await csrfOf(cookie);
    const res = await http.post('/logout', formBody({ _csrf: csrf }), { headers: { ...FORM, Cookie: cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((res.headers['set-cookie'] ?? [])[0]).toMatch(/passerelle_session=;/);
    expect((await http.get('/api/session', { headers: { Cookie: cookie } })).status).toBe(401);
  });
});

describe('health, readiness and metrics', () => {
  it('answers /healthz without credentials', async () => {
    const res = await http.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 or 503 following the readiness function, with its report', async () => {
    readiness = async () => ({ ready: true, checks: [{ name: 'redis', ok: true }] });
    expect((await http.get('/readyz')).status).toBe(200);
    readiness = async () => ({ ready: false, checks: [{ name: 'redis', ok: true }, { name: 'worker:deliver', ok: false, detail: 'not connected' }] });
    const down = await http.get('/readyz');
    expect(down.status).toBe(503);
    expect(down.data.checks).toContainEqual({ name: 'worker:deliver', ok: false, detail: 'not connected' });
    readiness = async () => {
      throw new PermanentError('BOOM', 'readiness failed');
    };
    const failing = await http.get('/readyz');
    expect(failing.status).toBe(503);
    expect(failing.data).toEqual({ ready: false, checks: [{ name: 'readiness', ok: false, detail: 'BOOM' }] });
    readiness = async () => ({ ready: true, checks: [] });
  });

  it('serves the Prometheus families to a viewer token', async () => {
    metrics.recordRun({
      ...(await stores.runs.get('run-1'))!,
      status: 'finished',
      finishedAt: '2026-01-05T03:00:00.000Z',
      counts: { fetched: 10, valid: 9, quarantined: 1, unchanged: 4, changed: 5, delivered: 5, conflicts: 0, failed: 0 },
    });
    await addDeadLetter({ code: 'METRICS_DL' });
    const res = await http.get('/metrics', { headers: bearer(VIEWER_TOKEN) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.data as string;
    expect(text).toMatch(/passerelle_jobs_total\{queue="deliver",outcome="failed",error_class="permanent"\} 1/);
    expect(text).toMatch(/passerelle_job_duration_seconds_count\{queue="deliver",outcome="failed"\} 1/);
    expect(text).toMatch(/passerelle_queue_jobs\{queue="deliver",state="failed"\} 1/);
    expect(text).toMatch(/passerelle_dead_letters_open [1-9]/);
    expect(text).toMatch(/passerelle_quarantine_entries 1/);
    expect(text).toMatch(/passerelle_conflicts 1/);
    expect(text).toMatch(/passerelle_cursor_lag_seconds\{source="sne:radiees"\} \d/);
    expect(text).toMatch(/passerelle_cursor_overdue\{source="sne:radiees"\} 0/);
    expect(text).toMatch(/passerelle_circuit_state\{target="sne"\} 0/);
    expect(text).toMatch(/passerelle_redis_up 1/);
    expect(text).toMatch(/passerelle_runs_total\{kind="pull",source="sne:radiees",status="finished"\} 1/);
    expect(text).toMatch(/passerelle_run_records_total\{kind="pull",source="sne:radiees",counter="delivered"\} 5/);
    // No demand number in any label.
    expect(text).not.toContain('035241234567890123');
  });
});

describe('the dashboard', () => {
  it('lets a viewer read the queues through the board API, with sealed data shown as [sealed]', async () => {
    const res = await http.get('/queues/api/queues', { params: { activeQueue: 'deliver', status: 'failed', page: 1, jobsPerPage: 10 }, headers: basic(VIEWER) });
    expect(res.status).toBe(200);
    const deliver = (res.data.queues as Array<{ name: string; readOnlyMode: boolean; jobs: Array<{ id: string; data: Record<string, unknown> }> }>).find(
      (q) => q.name === 'deliver',
    )!;
    expect(deliver.readOnlyMode).toBe(true);
    const job = deliver.jobs.find((j) => j.id === failedJob.id)!;
    expect(job.data).toEqual({ numUnique: '035241234567890123', sealed: '[sealed]', nested: { payload: '[sealed]', list: [{ sealedInput: '[sealed]' }] } });
    expect(JSON.stringify(res.data)).not.toContain(SEALED_VALUE);
    const one = await http.get(`/queues/api/queues/deliver/${failedJob.id}`, { headers: bearer(VIEWER_TOKEN) });
    expect(one.status).toBe(200);
    expect(one.data.job.data.sealed).toBe('[sealed]');
    expect(JSON.stringify(one.data)).not.toContain(SEALED_VALUE);
  });

  it('serves the board page itself behind authentication', async () => {
    const res = await http.get('/queues/', { headers: { ...basic(VIEWER), Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.data).toContain('__UI_CONFIG__');
    expect(res.headers['content-security-policy']).toContain("connect-src 'self'");
  });

  it('refuses a viewer any change through the board (403), and leaves the job failed', async () => {
    const res = await http.put(`/queues/api/queues/deliver/${failedJob.id}/retry`, undefined, { headers: basic(VIEWER) });
    expect(res.status).toBe(403);
    expect(await failedJob.getState()).toBe('failed');
    expect((await http.put('/queues/api/queues/deliver/pause', undefined, { headers: bearer(VIEWER_TOKEN) })).status).toBe(403);
  });

  it('refuses actions that would lose accepted work, even to an operator', async () => {
    expect((await http.put('/queues/api/queues/deliver/empty', undefined, { headers: bearer(OPERATOR_TOKEN) })).status).toBe(403);
    expect((await http.put('/queues/api/queues/deliver/obliterate', {}, { headers: bearer(OPERATOR_TOKEN) })).status).toBe(403);
    expect((await http.put('/queues/api/queues/deliver/clean/wait', undefined, { headers: bearer(OPERATOR_TOKEN) })).status).toBe(403);
    expect((await http.post('/queues/api/queues/deliver/add', { name: 'x', data: {} }, { headers: bearer(OPERATOR_TOKEN) })).status).toBe(403);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 1 });
  });

  it('lets an operator session act only from the same origin, and refuses cross-site requests', async () => {
    const cookie = await login(OPERATOR);
    const noOrigin = await http.put('/queues/api/queues/deliver/pause', undefined, { headers: { Cookie: cookie } });
    expect(noOrigin.status).toBe(403);
    const crossSite = await http.put('/queues/api/queues/deliver/pause', undefined, { headers: { Cookie: cookie, Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    const fetchCrossSite = await http.put('/queues/api/queues/deliver/pause', undefined, { headers: { Cookie: cookie, 'Sec-Fetch-Site': 'cross-site', Origin: base } });
    expect(fetchCrossSite.status).toBe(403);
    expect(await queue.isPaused()).toBe(false);
    const sameOrigin = await http.put('/queues/api/queues/deliver/pause', undefined, { headers: { Cookie: cookie, Origin: base } });
    expect(sameOrigin.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    // A proxy may rewrite Host: the browser's Sec-Fetch-Site still proves the origin.
    const resumed = await http.put('/queues/api/queues/deliver/resume', undefined, {
      headers: { Cookie: cookie, Origin: 'https://gateway.example', 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(resumed.status).toBe(200);
    expect(await queue.isPaused()).toBe(false);
  });

  it('lets an operator retry a failed job through the board API', async () => {
    const res = await http.put(`/queues/api/queues/deliver/${failedJob.id}/retry`, undefined, { headers: basic(OPERATOR) });
    expect(res.status).toBe(204);
    expect(await failedJob.getState()).toBe('waiting');
    const entries = await logs.entries();
    expect(entries).toContainEqual(expect.objectContaining({ message: 'dashboard action', user: 'olga', method: 'PUT' }));
  });
});

describe('dead letters', () => {
  let a: DeadLetter;
  let b: DeadLetter;
  let c: DeadLetter;

  beforeAll(async () => {
    a = await addDeadLetter({ code: 'SNE_CTRL_DEM', system: 'sne', numUnique: '035241111111111111' });
    b = await addDeadLetter({ code: 'SNE_CTRL_DEM', system: 'sne', numUnique: '035242222222222222' });
    c = await addDeadLetter({ code: 'LOCAL_BAD_REQUEST', system: 'local', numUnique: '035241111111111111' });
  });

  it('searches by code, system, demand, status and date range, without the sealed input', async () => {
    const byCode = await http.get('/api/dead-letters', { params: { code: 'SNE_CTRL_DEM' }, headers: basic(VIEWER) });
    expect(byCode.status).toBe(200);
    expect(byCode.data.items.map((d: DeadLetter) => d.id).sort()).toEqual([a.id, b.id].sort());
    expect(JSON.stringify(byCode.data)).not.toContain(SEALED_VALUE);
    expect(byCode.data.items[0]).toMatchObject({ hasInput: true });
    const byDemand = await http.get('/api/dead-letters', { params: { numUnique: '035241111111111111' }, headers: basic(VIEWER) });
    expect(byDemand.data.items.map((d: DeadLetter) => d.id).sort()).toEqual([a.id, c.id].sort());
    const bySystemAndDemand = await http.get('/api/dead-letters', { params: { system: 'local', numUnique: '035241111111111111', status: 'open' }, headers: basic(VIEWER) });
    expect(bySystemAndDemand.data.items.map((d: DeadLetter) => d.id)).toEqual([c.id]);
    const future = await http.get('/api/dead-letters', { params: { since: '2999-01-01' }, headers: basic(VIEWER) });
    expect(future.data.items).toEqual([]);
    const past = await http.get('/api/dead-letters', { params: { code: 'SNE_CTRL_DEM', until: '2000-01-01' }, headers: basic(VIEWER) });
    expect(past.data.items).toEqual([]);
    const bad = await http.get('/api/dead-letters', { params: { since: 'yesterday', status: 'lost' }, headers: basic(VIEWER) });
    expect(bad.status).toBe(400);
    expect(bad.data.issues.map((i: { path: string }) => i.path).sort()).toEqual(['since', 'status']);
  });

  it('shows the search page to a viewer without replay or discard buttons', async () => {
    const res = await http.get('/dead-letters', { params: { code: 'SNE_CTRL_DEM' }, headers: { ...basic(VIEWER), Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.data).toContain(`id="dl-${a.id}"`);
    expect(res.data).not.toContain(`id="dl-${c.id}"`);
    expect(res.data).not.toContain('class="replay"');
  });

  it('refuses replay and discard to a viewer', async () => {
    expect((await http.post(`/api/dead-letters/${a.id}/replay`, {}, { headers: bearer(VIEWER_TOKEN) })).status).toBe(403);
    expect((await http.post(`/api/dead-letters/${a.id}/discard`, {}, { headers: basic(VIEWER) })).status).toBe(403);
    expect((await stores.deadLetters.get(a.id))?.status).toBe('open');
  });

  it('replays a dead letter for an operator, once, and records who did it in the audit trail', async () => {
    const res = await http.post(`/api/dead-letters/${a.id}/replay`, {}, { headers: bearer(OPERATOR_TOKEN) });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ ok: true, message: 'job re-enqueued', deadLetter: { id: a.id, status: 'replayed' } });
    expect(replays).toContainEqual({ id: a.id, who: 'token:ops-script' });
    expect((await stores.deadLetters.get(a.id))?.status).toBe('replayed');
    const again = await http.post(`/api/dead-letters/${a.id}/replay`, {}, { headers: bearer(OPERATOR_TOKEN) });
    expect(again.status).toBe(409);
    expect(replays.filter((r) => r.id === a.id)).toHaveLength(1);
    const audit = await http.get('/api/audit', { headers: basic(VIEWER) });
    expect(audit.data.items).toContainEqual(
      expect.objectContaining({ who: 'token:ops-script', action: 'replay', deadLetterId: a.id, detail: 'job re-enqueued', at: expect.any(String) }),
    );
  });

  it('leaves a dead letter open when the replay is refused downstream', async () => {
    replayAnswer = { ok: false, message: 'input no longer readable' };
    const res = await http.post(`/api/dead-letters/${b.id}/replay`, {}, { headers: basic(OPERATOR) });
    replayAnswer = { ok: true, message: 'job re-enqueued' };
    expect(res.status).toBe(409);
    expect(res.data).toMatchObject({ ok: false, message: 'input no longer readable' });
    expect((await stores.deadLetters.get(b.id))?.status).toBe('open');
  });

  it('refuses the discard form without the right CSRF token, and keeps the dead letter open', async () => {
    const cookie = await login(OPERATOR);
    const none = await http.post(`/dead-letters/${c.id}/discard`, formBody({}), { headers: { ...FORM, Cookie: cookie } });
    expect(none.status).toBe(403);
    const wrong = await http.post(`/dead-letters/${c.id}/discard`, formBody({ _csrf: 'forged' }), { headers: { ...FORM, Cookie: cookie } });
    expect(wrong.status).toBe(403);
    const otherSession = await csrfOf(await login(VIEWER));
    const stolen = await http.post(`/dead-letters/${c.id}/discard`, formBody({ _csrf: otherSession }), { headers: { ...FORM, Cookie: cookie } });
    expect(stolen.status).toBe(403);
    const api = await http.post(`/api/dead-letters/${c.id}/discard`, {}, { headers: { Cookie: cookie } });
    expect(api.status).toBe(403);
    expect((await stores.deadLetters.get(c.id))?.status).toBe('open');
  });

  it('discards through the page form with the CSRF token of the session, recorded in the audit trail', async () => {
    const cookie = await login(OPERATOR);
    const page = await http.get('/dead-letters', { headers: { Cookie: cookie, Accept: 'text/html' } });
    expect(page.data).toContain(`id="discard-${c.id}"`);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.data as string)?.[1];
    expect(token).toBeDefined();
    const res = await http.post(`/dead-letters/${c.id}/discard`, formBody({ _csrf: token! }), { headers: { ...FORM, Cookie: cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/dead-letters?done=discarded');
    expect((await stores.deadLetters.get(c.id))?.status).toBe('discarded');
    const audit = await stores.deadLetters.audit();
    expect(audit).toContainEqual(expect.objectContaining({ who: 'olga', action: 'discard', deadLetterId: c.id }));
  });

  it('accepts a JSON call from a session when it carries the X-CSRF-Token', async () => {
    const d = await addDeadLetter({ code: 'CSRF_HEADER' });
    const cookie = await login(OPERATOR);
    const res = await http.post(`/api/dead-letters/${d.id}/discard`, {}, { headers: { Cookie: cookie, 'X-CSRF-Token': await csrfOf(cookie) } });
    expect(res.status).toBe(200);
    expect((await stores.deadLetters.get(d.id))?.status).toBe('discarded');
  });
});

describe('runs, reports and state views', () => {
  it('lists the last runs with their counts', async () => {
    const res = await http.get('/api/runs', { headers: basic(VIEWER) });
    expect(res.status).toBe(200);
    expect(res.data.items[0]).toMatchObject({ id: 'run-1', source: 'sne:radiees', counts: expect.objectContaining({ fetched: 0 }) });
  });

  it('lists reports and serves a listed one by id, and nothing else', async () => {
    const list = await http.get('/api/reports', { headers: basic(VIEWER) });
    expect(list.data.items).toEqual([expect.objectContaining({ id: 'reconcile-2026-01-05' })]);
    const page = await http.get('/reports', { headers: { ...basic(VIEWER), Accept: 'text/html' } });
    expect(page.data).toContain('href="/reports/reconcile-2026-01-05"');
    const report = await http.get('/reports/reconcile-2026-01-05', { headers: basic(VIEWER) });
    expect(report.status).toBe(200);
    expect(report.data).toContain('42 mismatches');
    expect(report.headers['content-security-policy']).toContain('sandbox');
    for (const path of ['/reports/secret', '/reports/..%2Fsecret.txt', '/reports/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '/reports/reconcile-2026-01-05%00']) {
      expect((await http.get(path, { headers: basic(VIEWER) })).status).toBe(404);
    }
  });

  it('serves quarantine, conflicts and cursors without sealed inputs', async () => {
    const q = await http.get('/api/quarantine', { headers: basic(VIEWER) });
    expect(q.data.items[0]).toMatchObject({ source: 'dispatch', hasInput: true, issues: [expect.objectContaining({ rule: 'required' })] });
    expect(JSON.stringify(q.data)).not.toContain(SEALED_VALUE);
    const conflicts = await http.get('/api/conflicts', { headers: basic(VIEWER) });
    expect(conflicts.data.items).toEqual([expect.objectContaining({ numUnique: '035249999999999999' })]);
    const cursors = await http.get('/api/cursors', { headers: basic(VIEWER) });
    expect(cursors.data.items).toEqual([expect.objectContaining({ source: 'sne:radiees', lagSeconds: expect.any(Number) })]);
  });

  it('never writes a password, a token or a sealed payload to the log', async () => {
    const text = await logs.text();
    for (const secret of [OPERATOR.password, VIEWER.password, VIEWER_TOKEN, OPERATOR_TOKEN, SEALED_VALUE]) expect(text).not.toContain(secret);
  });
});

describe('password guessing', () => {
  it('stops checking a name\'s password after ten failures from one address, other names unaffected', async () => {
    const guarded = createWebServer({
      host: '127.0.0.1',
      port: 0,
      users: [
        { name: VIEWER.name, passwordHash: await hashPassword(VIEWER.password, { ln: 10 }), role: 'viewer' },
        { name: OPERATOR.name, passwordHash: await hashPassword(OPERATOR.password, { ln: 10 }), role: 'operator' },
      ],
      tokens: [],
      queues: [],
      stores,
      readiness,
      metrics: metrics.registry,
      logger: logs.logger,
      replayDeadLetter: async () => ({ ok: true, message: '' }),
    });
    const { url } = await guarded.listen();
    try {
      const get = (u: { name: string; password: string }) => axios.get(`${url}/api/session`, { headers: basic(u), validateStatus: () => true });
      for (let i = 0; i < 10; i++) expect((await get({ name: VIEWER.name, password: `guess-${i}` })).status).toBe(401);
      const blocked = await get(VIEWER);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await get(OPERATOR)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});

describe('the lifecycle', () => {
  it('closes idempotently, keep-alive sockets included', async () => {
    const other = createWebServer({
      host: '127.0.0.1',
      port: 0,
      users: [],
      tokens: [{ name: 't', token: VIEWER_TOKEN, role: 'viewer' }],
      queues: [],
      stores,
      readiness,
      metrics: metrics.registry,
      logger: logs.logger,
      replayDeadLetter: async () => ({ ok: true, message: '' }),
    });
    const { url } = await other.listen();
    const agent = new (await import('node:http')).Agent({ keepAlive: true });
    const res = await axios.get(`${url}/healthz`, { httpAgent: agent });
    expect(res.status).toBe(200);
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(axios.get(`${url}/healthz`, { httpAgent: agent })).rejects.toThrow();
    agent.destroy();
  });
});
