/**
 * Security checks (design.md §3.6):
 * - every route the web server declares (read from `src/server/server.ts`, so a new route cannot be
 *   left out) refuses a request without credentials, with a wrong token or a wrong password, and every
 *   action refuses the viewer role; the public routes stay public;
 * - the signed event endpoint refuses a missing or wrong signature, a timestamp outside the window and a
 *   replay, and its hostile bodies get clear 4xx answers;
 * - a daemon run meant to leave traces everywhere (debug logs, quarantined demands, dead letters,
 *   conflicts, a rejected file, a reconciliation report without `--show-values`) is scanned: its logs,
 *   `/metrics`, the dashboard's JSON and pages, every Redis key under its prefix, the report files and
 *   the CLI's output hold no personal value of the stock and no secret;
 * - `npm audit --omit=dev --audit-level=high` finds nothing high or critical (recorded as not run when
 *   the registry's audit endpoint cannot be reached).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { hashPassword } from '../../src/config';
import { createEventIntakeRouter, signEvents } from '../../src/push/http';
import { freePort } from './redis-restart';
import { CANARY } from './hostile';
import {
  createWorld,
  daemonEntry,
  deadLetterCodes,
  emptyResult,
  NeedleScanner,
  REPO_ROOT,
  searchablePersonalValues,
  SECRETS,
  sleep,
  spawnDaemon,
  waitForQuiescence,
  waitUntil,
  type Check,
  type ChildDaemon,
  type SectionResult,
  type World,
} from './support';
import { testEnv } from '../../test/support/gateway';

export interface SecurityOptions {
  seed: string;
  log?: (line: string) => void;
}

const WEB_SECRETS = {
  T_WEB_VIEWER: 'viewer-token-chaos-0123456789abcdef-XYZ',
  T_WEB_OPERATOR: 'operator-token-chaos-0123456789abcdef-XYZ',
  password: 'operator-password-chaos-Qw9!',
};

interface Route {
  method: string;
  path: string;
  /** Declared path (with parameters), as read from server.ts. */
  declared: string;
  access: 'public' | 'viewer' | 'operator';
}

/** The routes `src/server/server.ts` declares (literal paths, and the `${action}` loops expanded). */
export function declaredRoutes(source: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const re = /\b(app|api)\.(get|post|put|delete|patch)\(\s*([`'"])([^`'"]+)\3/g;
  for (const m of source.matchAll(re)) {
    const base = m[1] === 'api' ? '/api' : '';
    const raw = m[4] ?? '';
    const paths = raw.includes('${action}') ? ['replay', 'discard'].map((a) => raw.replace('${action}', a)) : [raw];
    for (const p of paths) out.push({ method: (m[2] ?? '').toUpperCase(), path: base + p });
  }
  if (/app\.use\(\s*'\/queues'/.test(source)) out.push({ method: 'GET', path: '/queues' });
  return out;
}

/** What each declared route is tested as: who may use it, with a concrete path. */
const ROUTE_ACCESS: Record<string, Route['access']> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /metrics': 'viewer',
  'GET /': 'viewer',
  'GET /logout': 'viewer',
  'POST /logout': 'viewer',
  'GET /queues': 'viewer',
  'GET /dead-letters': 'viewer',
  'POST /dead-letters/:id/replay': 'operator',
  'POST /dead-letters/:id/discard': 'operator',
  'GET /runs': 'viewer',
  'GET /reports': 'viewer',
  'GET /reports/:id': 'viewer',
  'GET /api/session': 'viewer',
  'GET /api/dead-letters': 'viewer',
  'GET /api/dead-letters/:id': 'viewer',
  'POST /api/dead-letters/:id/replay': 'operator',
  'POST /api/dead-letters/:id/discard': 'operator',
  'GET /api/audit': 'viewer',
  'GET /api/runs': 'viewer',
  'GET /api/reports': 'viewer',
  'GET /api/quarantine': 'viewer',
  'GET /api/conflicts': 'viewer',
  'GET /api/cursors': 'viewer',
};

/** The dashboard's own actions (bull-board), all for operators only. */
const BOARD_ACTIONS: Route[] = [
  ['PUT', '/queues/api/queues/pull/pause'],
  ['PUT', '/queues/api/queues/pull/resume'],
  ['PUT', '/queues/api/queues/deliver/retry/failed'],
  ['PUT', '/queues/api/queues/deliver/clean/completed'],
  ['PUT', '/queues/api/queues/deliver/some-job/retry/failed'],
  ['PUT', '/queues/api/queues/deliver/some-job/promote'],
  ['PUT', '/queues/api/queues/deliver/empty'],
].map(([method, path]) => ({ method: method as string, path: path as string, declared: `${method as string} ${path as string}`, access: 'operator' as const }));

async function http(url: string, method: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url, { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function routeChecks(web: string, checks: Check[]): Promise<number> {
  const source = readFileSync(join(REPO_ROOT, 'src', 'server', 'server.ts'), 'utf8');
  const declared = declaredRoutes(source);
  const untested = declared.filter((r) => !(`${r.method} ${r.path}` in ROUTE_ACCESS));
  checks.push({ name: 'every route declared in src/server/server.ts has a tested access rule', ok: untested.length === 0, detail: untested.length ? `untested: ${untested.map((r) => `${r.method} ${r.path}`).join(', ')}` : `${declared.length} routes` });
  const routes: Route[] = [
    ...declared
      .filter((r) => `${r.method} ${r.path}` in ROUTE_ACCESS)
      .map((r) => ({ method: r.method, declared: `${r.method} ${r.path}`, path: r.path.replace(':id', 'dl-unknown-1'), access: ROUTE_ACCESS[`${r.method} ${r.path}`] as Route['access'] })),
    { method: 'GET', path: '/queues/api/queues', declared: 'GET /queues/api/queues', access: 'viewer' },
    ...BOARD_ACTIONS,
  ];
  const viewer = { authorization: `Bearer ${WEB_SECRETS.T_WEB_VIEWER}` };
  const operator = { authorization: `Bearer ${WEB_SECRETS.T_WEB_OPERATOR}` };
  const wrongBearer = { authorization: `Bearer ${'x'.repeat(40)}` };
  const wrongBasic = { authorization: `Basic ${Buffer.from('alice:not-the-password').toString('base64')}` };
  const rightBasic = { authorization: `Basic ${Buffer.from(`alice:${WEB_SECRETS.password}`).toString('base64')}` };
  const problems: string[] = [];
  let requests = 1;
  // A password user gets in (the form and HTTP Basic share the scrypt check); checked before the
  // wrong-password attempts below, which then block the name for a while (the throttle).
  const basic = await http(`${web}/api/session`, 'GET', rightBasic);
  if (basic.status !== 200) problems.push(`HTTP Basic with the right password: ${basic.status}`);
  for (const r of routes) {
    const url = `${web}${r.path}`;
    const json: Record<string, string> = r.method === 'GET' ? {} : { 'content-type': 'application/json' };
    const body = r.method === 'GET' ? undefined : '{}';
    const send = async (h: Record<string, string>) => {
      requests++;
      return http(url, r.method, { ...json, ...h }, body);
    };
    if (r.access === 'public') {
      const a = await send({});
      // POST /login without a password answers 401 itself: public, but not open.
      if ((r.method === 'GET' && (a.status === 401 || a.status === 403)) || a.status >= 500) problems.push(`${r.declared}: public route answered ${a.status}`);
      continue;
    }
    for (const [who, h] of [['nobody', {}], ['a wrong bearer token', wrongBearer], ['a wrong password', wrongBasic]] as const) {
      const a = await send(h);
      // 429: the failed-password throttle, also a refusal.
      const refused = a.status === 401 || a.status === 429 || (a.status === 303 && (a.headers.get('location') ?? '').startsWith('/login'));
      if (!refused) problems.push(`${r.declared} with ${who}: ${a.status}`);
    }
    const v = await send(viewer);
    if (r.access === 'operator' && v.status !== 403) problems.push(`${r.declared} as viewer: ${v.status} (expected 403)`);
    if (r.access === 'viewer' && (v.status === 401 || v.status === 403)) problems.push(`${r.declared} as viewer: ${v.status}`);
    const o = await send(operator);
    // An action the gateway offers to nobody (emptying a queue) is refused to operators too, by name.
    const notOffered = o.status === 403 && o.text.includes('ACTION_NOT_OFFERED');
    if (o.status === 401 || (o.status === 403 && !notOffered)) problems.push(`${r.declared} as operator: ${o.status}`);
  }
  const throttled = await http(`${web}/api/session`, 'GET', rightBasic);
  requests++;
  if (throttled.status !== 429) problems.push(`the right password right after ${routes.length * 1} wrong ones: ${throttled.status} (expected the throttle's 429)`);
  // Path tricks on the report route never reach a file.
  for (const p of ['/reports/..%2F..%2Fetc%2Fpasswd', '/reports/%2e%2e', '/reports/.env']) {
    const a = await http(`${web}${p}`, 'GET', operator);
    requests++;
    if (a.status === 200 && /root:|PRIVATE KEY|T_KEY/.test(a.text)) problems.push(`GET ${p}: served a file`);
    if (a.status >= 500) problems.push(`GET ${p}: ${a.status}`);
  }
  checks.push({
    name: 'every admin route requires authentication, and every action the operator role',
    ok: problems.length === 0,
    detail: problems.length ? problems.slice(0, 8).join('; ') : `${routes.length} routes × (no credentials, wrong token, wrong password, viewer, operator): ${requests} requests`,
  });
  return requests;
}

/** The signed event endpoint, mounted as the web server mounts it, with an intake that records calls. */
export async function eventEndpointChecks(checks: Check[]): Promise<number> {
  const secret: string = SECRETS.hmac;
  const accepted: unknown[][] = [];
  const app = express();
  app.use(
    '/api/evenements',
    createEventIntakeRouter({
      hmacSecret: secret,
      toleranceSeconds: 300,
      limit: '1mb',
      accept: async (events) => {
        accepted.push(events);
        return { accepted: events.length };
      },
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evenements`;
  const now = () => Math.floor(Date.now() / 1000);
  const event = JSON.stringify({ id: 'evt-sec-1', seq: 1, numUnique: '035000000000001', type: 'rectification', occurredAt: new Date().toISOString(), payload: {} });
  const signed = (body: string | Buffer, ts: number = now(), s: string = secret) => ({ 'content-type': 'application/json', 'x-passerelle-timestamp': String(ts), 'x-passerelle-signature': signEvents(s, ts, body) });
  const problems: string[] = [];
  let n = 0;
  const expect = async (what: string, headers: Record<string, string>, body: string | Buffer, statuses: number[], mustNotAccept = true) => {
    n++;
    const before = accepted.length;
    const r = await http(url, 'POST', headers, body);
    if (!statuses.includes(r.status)) problems.push(`${what}: ${r.status}`);
    if (mustNotAccept && accepted.length !== before) problems.push(`${what}: reached the intake`);
    if (r.text.includes(CANARY) || r.text.includes(secret)) problems.push(`${what}: the answer quotes the input or the secret`);
  };
  try {
    await expect('no signature', { 'content-type': 'application/json' }, event, [401]);
    await expect('signature of another secret', signed(event, now(), 'another-secret-0123456789-0123456789'), event, [401]);
    await expect('signature of another body', signed(`${event} `), event, [401]);
    await expect('malformed signature header', { ...signed(event), 'x-passerelle-signature': `sha256=${CANARY}` }, event, [401]);
    await expect('timestamp 10 minutes old', signed(event, now() - 600), event, [401]);
    await expect('timestamp 10 minutes ahead', signed(event, now() + 600), event, [401]);
    await expect('timestamp not a number', { ...signed(event), 'x-passerelle-timestamp': CANARY }, event, [401]);
    const once = signed(event);
    await expect('a well-signed request', once, event, [202], false);
    await expect('the same signed request again (replay)', once, event, [401]);
    const big = JSON.stringify({ events: [{ pad: 'x'.repeat(2 * 1024 * 1024) }] });
    await expect('a body over the limit (2 MiB)', signed(big), big, [413]);
    const notJson = `{"id": "${CANARY}"`;
    await expect('a body that is not JSON', signed(notJson), notJson, [400]);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    await expect('JSON nested 200,000 deep', signed(deep), deep, [400, 413, 422]);
    const wrongShape = JSON.stringify({ events: CANARY });
    await expect('events of the wrong type', signed(wrongShape), wrongShape, [422]);
    const badUtf8 = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    await expect('invalid UTF-8', signed(badUtf8), badUtf8, [202, 400, 422], false);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  checks.push({
    name: 'the event endpoint refuses bad signatures, stale or future timestamps and replays; hostile bodies get a clear 4xx',
    ok: problems.length === 0,
    detail: problems.length ? problems.join('; ') : `${n} requests, the intake reached only by the well-signed ones`,
  });
  return n;
}

/** Every value under a Redis prefix, as text. */
async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const type = await redis.type(k);
      parts.push(k);
      if (type === 'string') parts.push((await redis.get(k)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(k)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(k, 0, -1)));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(k)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(k, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(k, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...daemonEntry(), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The leak run: a daemon with every role, made to leave traces, then everything it shows scanned. */
async function leakRun(o: SecurityOptions, result: SectionResult, log: (line: string) => void): Promise<number> {
  const port = await freePort();
  const env = { T_WEB_VIEWER: WEB_SECRETS.T_WEB_VIEWER, T_WEB_OPERATOR: WEB_SECRETS.T_WEB_OPERATOR };
  const passwordHash = await hashPassword(WEB_SECRETS.password, { ln: 10 });
  const count = 150;
  const world: World = await createWorld({
    name: 'security',
    seed: `${o.seed}-security`,
    count,
    env,
    extra: {
      logging: { level: 'debug', format: 'json' },
      pull: { pageSize: 50, parseThreads: 1, delivery: 'inline' },
      queues: { backoff: { baseMs: 50, maxMs: 200 }, attempts: 3, shutdownDeadlineMs: 2_000, lockDurationMs: 2_000, stalledIntervalMs: 1_000 },
      web: {
        host: '127.0.0.1',
        port,
        users: [{ name: 'alice', passwordHash, role: 'operator' }],
        tokens: [
          { name: 'viewer-bot', token: { env: 'T_WEB_VIEWER' }, role: 'viewer' },
          { name: 'operator-bot', token: { env: 'T_WEB_OPERATOR' }, role: 'operator' },
        ],
      },
    },
  });
  const webUrl = `http://127.0.0.1:${port}`;
  let daemon: ChildDaemon | undefined;
  let requests = 0;
  try {
    const all = [...world.sne.store.iterate()].map((r) => r.numUnique).sort();
    await world.sne.writeDispatchFile({ dir: world.dirs.drop, all: true, perFile: count });
    // Quarantine: a file whose demands carry a date that is not one (and their personal values).
    const staging = join(world.dirs.root, 'staging');
    const { files } = await world.sne.writeDispatchFile({ dir: staging, numUniques: all.slice(10, 13), perFile: 3 });
    const bad = readFileSync(join(staging, files[0]?.name ?? ''), 'utf8').replace(/<dateCreationDemande>[^<]*<\/dateCreationDemande>/g, '<dateCreationDemande>2024-13-45</dateCreationDemande>');
    writeFileSync(join(world.dirs.drop, 'zz-invalid-dates.xml'), bad);
    // A rejected file holding personal values before its fault.
    writeFileSync(join(world.dirs.drop, 'zz-truncated.xml'), bad.slice(0, bad.length - 40));
    daemon = spawnDaemon(world.configPath, world.logPath, 'worker,scheduler,web', env);
    await waitUntil(async () => (await fetch(`${webUrl}/healthz`).then((r) => r.ok, () => false)), 60_000, 'the web role');
    const one = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
    await waitForQuiescence(world, one.jobId, one.runId);
    // Conflicts: three demands changed on the local side, then changed again at the SNE and re-sent.
    const changed = all.slice(20, 23);
    for (const nu of changed) {
      world.local.sim.store.touch(nu, (r) => ({ ...(r as Record<string, unknown>), commentaireLocal: 'changed locally' }));
      await fetch(`${world.sne.url}/_sim/dalo/${nu}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    }
    await world.sne.writeDispatchFile({ dir: world.dirs.drop, numUniques: changed, perFile: 3 });
    const two = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
    await waitForQuiescence(world, two.jobId, two.runId);
    // Pushes: label events delivered to the SNE, and invalid ones (dead letters, rejected acknowledgements).
    const events = [
      ...all.slice(40, 45).map((nu, i) => ({ id: `sec-ok-${i}`, numUnique: nu, type: 'label', payload: { source: 'DALO', date: '2024-03-01', emetteur: `SEC-${i}` } })),
      { id: 'sec-bad-0', numUnique: all[45] ?? '', type: 'label', payload: { source: 'DALO', date: 'pas-une-date', emetteur: 'SEC-X' } },
      { id: 'sec-bad-1', numUnique: all[46] ?? '', type: 'label', payload: { source: `INCONNU-${CANARY}`, date: '2024-03-01' } },
      { id: 'sec-bad-2', numUnique: all[47] ?? '', type: 'decisionCal', payload: { decision: { rang: 'douze' } } },
    ];
    for (const e of events) world.local.sim.store.addEvenement({ ...e, occurredAt: '2024-03-01T10:00:00.000Z' });
    await waitUntil(
      async () => events.every((e) => (world.local.sim.store.listAcquittements(e.id) ?? []).some((a) => a.status === 'delivered' || a.status === 'rejected')),
      60_000,
      'the events acknowledged',
      250,
    );
    // The daemon's own signed endpoint, fed hostile bodies (well signed): it stays up, and what it had
    // accepted before is untouched.
    const acksBefore = JSON.stringify(events.map((e) => world.local.sim.store.listAcquittements(e.id)));
    const hostileBodies: Array<string | Buffer> = [
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      JSON.stringify({ events: [{ pad: 'x'.repeat(2 * 1024 * 1024) }] }),
      Buffer.concat([Buffer.from('{"events":[{"id":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]),
      JSON.stringify({ events: Array.from({ length: 5_000 }, (_, i) => ({ id: `x${i}`, seq: 'un', numUnique: 12, type: [], occurredAt: {}, payload: CANARY })) }),
      JSON.stringify({ events: [{ id: 'sec-ok-0', seq: 1, numUnique: all[40], type: 'label', occurredAt: '2024-03-01T10:00:00.000Z', payload: { source: 'DALO', date: '2024-03-01', emetteur: 'SEC-0' } }] }),
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    ];
    const endpointStatuses: number[] = [];
    for (const body of hostileBodies) {
      const ts = Math.floor(Date.now() / 1000);
      requests++;
      const r = await http(`${webUrl}/api/evenements`, 'POST', { 'content-type': 'application/json', 'x-passerelle-timestamp': String(ts), 'x-passerelle-signature': signEvents(SECRETS.hmac, ts, body) }, body);
      endpointStatuses.push(r.status);
    }
    await sleep(1_000);
    const stillUp = daemon.child.exitCode === null && (await fetch(`${webUrl}/healthz`).then((r) => r.ok, () => false));
    const acksAfter = JSON.stringify(events.map((e) => world.local.sim.store.listAcquittements(e.id)));
    result.checks.push({
      name: "hostile bodies to the daemon's own signed event endpoint: clear 4xx (or accepted once), the daemon stays up, earlier events untouched",
      ok: stillUp && acksAfter === acksBefore && endpointStatuses.every((st) => st < 500),
      detail: `statuses ${endpointStatuses.join(', ')}; daemon ${stillUp ? 'up' : 'DOWN'}; earlier acknowledgements ${acksAfter === acksBefore ? 'unchanged' : 'CHANGED'}`,
    });
    // Differences in personal fields for the reconciliation (a name changed on the local side).
    for (const nu of all.slice(30, 32)) {
      world.local.sim.store.touch(nu, (r) => {
        const rec = r as { demandeur: Record<string, unknown> };
        return { ...rec, demandeur: { ...rec.demandeur, nom: 'Changé-Localement' } };
      });
    }
    const parked = await deadLetterCodes(world);
    const quarantined = (await world.trigger.quarantine.list({ limit: 100 })).length;
    const conflicts = (await world.trigger.conflicts.list()).length;

    requests += await routeChecks(webUrl, result.checks);

    // What the gateway shows: metrics, dashboard JSON and pages, job lists of the board.
    const op = { authorization: `Bearer ${WEB_SECRETS.T_WEB_OPERATOR}` };
    const shown: Array<[string, string]> = [];
    const dl = await world.trigger.deadLetters.search({ status: 'open' });
    const paths = [
      '/metrics',
      '/api/dead-letters',
      ...dl.slice(0, 3).map((d) => `/api/dead-letters/${encodeURIComponent(d.id)}`),
      '/api/quarantine',
      '/api/conflicts',
      '/api/runs',
      '/api/cursors',
      '/api/audit',
      '/dead-letters?status=open',
      '/runs',
      '/readyz',
      ...['deliver', 'pull'].flatMap((q) => ['failed', 'completed', 'waiting', 'delayed'].map((s) => `/queues/api/queues?activeQueue=${q}&status=${s}&page=1&jobsPerPage=1000`)),
    ];
    for (const p of paths) {
      requests++;
      const r = await http(`${webUrl}${p}`, 'GET', { ...op, accept: p.startsWith('/api') || p.includes('/api/') ? 'application/json' : 'text/html' });
      shown.push([`GET ${p} (${r.status})`, r.text]);
    }
    // Job data and every other value in Redis.
    shown.push(['Redis keys and values under the prefix', await dumpRedis(world.redis, world.prefix)]);
    // A reconciliation report, without --show-values, and what the CLI prints.
    const stockDir = join(world.dirs.root, 'stock');
    mkdirSync(stockDir, { recursive: true });
    await world.sne.writeDispatchFile({ dir: stockDir, all: true, perFile: count });
    const reports = join(world.dirs.root, 'reports');
    const rec = await cli(['reconcile', '--config', world.configPath, '--stock', stockDir, '--out', reports, '--json'], { ...testEnv, ...env });
    shown.push([`reconcile output (exit ${rec.code})`, rec.out]);
    const reportFiles = filesUnder(reports);
    for (const f of reportFiles) shown.push([`report ${f.slice(reports.length + 1)}`, readFileSync(f, 'utf8')]);
    // Control: the same report with --show-values must show values, or the scan above proves nothing.
    const shownReports = join(world.dirs.root, 'reports-with-values');
    await cli(['reconcile', '--config', world.configPath, '--stock', stockDir, '--out', shownReports, '--json', '--show-values'], { ...testEnv, ...env });
    const control = filesUnder(shownReports).map((f) => readFileSync(f, 'utf8')).join('\n');
    const checkCfg = await cli(['check-config', '--config', world.configPath], { ...testEnv, ...env });
    shown.push([`check-config output (exit ${checkCfg.code})`, checkCfg.out]);
    const badCfg = await cli(['check-config', '--config', world.configPath], { ...testEnv, ...env, T_KEY: `${SECRETS.cryptoKey.slice(0, 10)}-too-short` });
    shown.push([`check-config with a bad key (exit ${badCfg.code})`, badCfg.out]);
    const badStart = await cli(['start', '--role', 'worker', '--config', world.configPath], { ...testEnv, ...env, T_HMAC: 'short-hmac-secret' });
    shown.push([`start with a bad secret (exit ${badStart.code})`, badStart.out]);
    // The daemon's own log, last (it holds the web requests above).
    await sleep(500);
    shown.push(['daemon log (debug)', world.log()]);

    const personal = new NeedleScanner(searchablePersonalValues([...world.sne.store.iterate()].map((r) => r.demande)));
    const secrets = new NeedleScanner([...Object.values(SECRETS), WEB_SECRETS.T_WEB_OPERATOR, WEB_SECRETS.T_WEB_VIEWER, WEB_SECRETS.password]);
    let leaks = 0;
    const where: string[] = [];
    let bytes = 0;
    for (const [label, text] of shown) {
      bytes += text.length;
      const p = personal.find(text);
      const s = secrets.find(text);
      if (p.length || s.length) {
        if (process.env.PASSERELLE_CHAOS_DEBUG === '1') for (const v of [...p, ...s]) console.error(`DEBUG ${label}: ${v} ... ${text.slice(Math.max(0, text.toLowerCase().indexOf(v) - 120), text.toLowerCase().indexOf(v) + 60)}`);
        leaks += p.length + s.length;
        where.push(`${label}: ${p.length} personal value(s)${s.length ? `, ${s.length} secret(s)` : ''}`);
      }
    }
    result.leaks += leaks;
    // Control: values planted in a log line are found (a name, an email, a birth date beside its demand).
    const [d0] = [...world.sne.store.iterate()].map((r) => r.demande);
    const planted = d0 ? JSON.stringify({ level: 'info', message: 'x', numUnique: d0.numUnique, nom: d0.demandeur.nom, mel: d0.demandeur.mel, naissance: d0.demandeur.dateNaissance }) : '';
    const plantedFound = personal.find(planted).length;
    const plantedExpected = d0 ? [d0.demandeur.nom, d0.demandeur.mel, d0.demandeur.dateNaissance].filter((v) => v && v.length >= 4).length : 0;
    const controlFound = personal.find(control).length;
    result.checks.push({
      name: 'the scan sees leaks when there are some (controls: planted values; the same report with --show-values)',
      ok: plantedFound >= plantedExpected && plantedExpected > 0 && controlFound > 0,
      detail: `${plantedFound}/${plantedExpected} planted values found; ${controlFound} personal values found in the --show-values report`,
    });
    const traces = `${Object.values(parked).reduce((a, b) => a + b, 0)} dead letters, ${quarantined} quarantined, ${conflicts} conflicts, ${reportFiles.length} report files`;
    result.checks.push({
      name: 'the run left traces to scan (dead letters, quarantine, conflicts, a report)',
      ok: Object.keys(parked).length > 0 && quarantined > 0 && conflicts > 0 && reportFiles.length > 0 && rec.code !== 2,
      detail: `${traces}; reconcile exit ${rec.code}`,
    });
    result.checks.push({
      name: 'logs, metrics, dashboard responses, Redis job data, reports and CLI output: no personal value, no secret',
      ok: leaks === 0,
      detail: `${shown.length} texts, ${Math.round(bytes / 1024)} KiB, ${personal.size} personal values searched: ${leaks ? where.slice(0, 6).join('; ') : 'none found'}`,
    });
    log(`  leak scan: ${shown.length} texts (${Math.round(bytes / 1024)} KiB) after ${traces}: ${leaks} leak(s)`);
  } finally {
    await daemon?.kill('SIGKILL');
    await world.close();
  }
  return requests;
}

/** `npm audit` on production dependencies; not run (never passed) when the audit endpoint is unreachable. */
async function audit(checks: Check[]): Promise<void> {
  const r = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
    execFile('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, out: stdout, err: stderr });
    });
  });
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; error?: { code?: string; summary?: string } } | undefined;
  try {
    report = JSON.parse(r.out) as typeof report;
  } catch {
    report = undefined;
  }
  const v = report?.metadata?.vulnerabilities;
  if (!v) {
    const why = report?.error?.code ?? r.err.split('\n').find((l) => l.trim()) ?? `exit ${r.code}`;
    checks.push({ name: 'npm audit --omit=dev --audit-level=high', ok: false, notRun: true, detail: `the audit endpoint could not be used (${why}); stand-in: ${await freshness()}` });
    return;
  }
  const high = (v.high ?? 0) + (v.critical ?? 0);
  checks.push({ name: 'npm audit --omit=dev --audit-level=high: no high or critical finding', ok: high === 0, detail: `critical ${v.critical ?? 0}, high ${v.high ?? 0}, moderate ${v.moderate ?? 0}, low ${v.low ?? 0}` });
}

/**
 * What can be said without the audit endpoint: how many production dependencies are at their latest
 * published version (`npm outdated` reads the registry's package metadata). Reported, never a verdict:
 * a release tomorrow must not turn a run red.
 */
async function freshness(): Promise<string> {
  const production = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const out = await new Promise<string>((resolve) => {
    execFile('npm', ['outdated', '--json'], { cwd: REPO_ROOT, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 }, (_err, stdout) => resolve(stdout));
  });
  let outdated: Record<string, { current?: string; latest?: string }>;
  try {
    outdated = JSON.parse(out || '{}') as typeof outdated;
  } catch {
    return 'npm outdated gave no answer either';
  }
  const behind = production.filter((name) => outdated[name] && outdated[name].current !== outdated[name].latest);
  return `${production.length - behind.length} of ${production.length} production dependencies at their latest published version${behind.length ? ` (behind: ${behind.map((n) => `${n} ${outdated[n]!.current ?? '?'} < ${outdated[n]!.latest ?? '?'}`).join(', ')})` : ''}`;
}

export async function runSecurity(o: SecurityOptions): Promise<SectionResult> {
  const result = emptyResult('security');
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  let inputs = 0;
  try {
    inputs += await leakRun(o, result, log);
  } catch (e) {
    result.checks.push({ name: 'the leak run and the route checks ran', ok: false, detail: e instanceof Error ? e.message : String(e) });
  }
  inputs += await eventEndpointChecks(result.checks);
  await audit(result.checks);
  result.inputs = inputs;
  result.durationMs = Date.now() - started;
  return result;
}
