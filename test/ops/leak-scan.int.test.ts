/**
 * Personal data stays in (design.md §3.6), checked end to end: a sync from the SNE simulator to the local
 * tool, with quarantined records, a dead letter and a conflict, then a scan of everything an operator or a
 * scraper can read (the dashboard's API for every queue, status and job, the gateway's own API and pages,
 * the metrics, every log line) and of every Redis key of the run, for the personal values of every demand.
 *
 * Job data in Redis may hold sealed payloads only: each one found must open with the gateway's key (so it
 * is ciphertext, not something else that looks like it) and is then left out of the scan.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gateway } from '../../src/daemon/gateway';
import type { Demande } from '../../src/domain';
import { captureLogs } from '../../src/logging';
import { startLocalSimulator, type RunningLocalSimulator } from '../../src/simulators/local';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { personalValuesOf } from '../../src/synthetic';
import { createLocalClient } from '../../src/systems/local';
import { canonicalRecordRules, TEST_LOCAL_TOKEN, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { basicAuth, dispatchXml, OPERATOR, VIEWER, webSection } from './support';

jest.setTimeout(60_000);

const t = useTestRedis('ops-leak');
const COUNT = 150;
const SEALED = /v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;
const BAD_DATE = '1987-02-30';
const NEW_PHONE = '06 12 34 56 78';

/** One place the scan read: what it is, and its text. */
interface Surface {
  where: string;
  text: string;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Words that name an amount, in the canonical model, the SNE format or a sentence. */
const AMOUNT_CONTEXT = '(?:montant|loyer|revenu|ressource|salaire|amount|income)';

/**
 * A matcher per personal value. Words (names, dates, addresses, emails, phones as written) match
 * case-insensitively, bounded by anything but a letter or digit. Long numbers (phones as digits) match as
 * whole tokens anywhere. Short numbers (amounts) match as whole tokens within 40 characters after a word
 * naming an amount (`"montant":650`, `<montant>650</montant>`, `loyer de 650`): anywhere, 650 could be a
 * count, a duration or a histogram bound, which say nothing about anyone.
 */
function matchers(values: Iterable<string>): Array<{ value: string; re: RegExp }> {
  return [...new Set(values)].map((value) => {
    const token = `(?<![\\w.])${value}(?![\\w]|\\.\\d)`;
    if (/^\d{6,}$/.test(value)) return { value, re: new RegExp(token) };
    if (/^\d+$/.test(value)) return { value, re: new RegExp(`${AMOUNT_CONTEXT}[^\\n]{0,40}?${token}`, 'i') };
    return { value, re: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(value)}(?![\\p{L}\\p{N}])`, 'iu') };
  });
}

const HTML_ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
const decodeHtml = (s: string) => s.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (e) => HTML_ENTITIES[e] ?? e);

describe('a scan for personal data after an end-to-end run', () => {
  let dirs: TestDirs;
  let sne: RunningSneSimulator;
  let sim: RunningLocalSimulator;
  let gateway: Gateway;
  const logs = captureLogs({ level: 'debug' });
  const prefix = `${t.prefix}-gw`;
  const demandes: Demande[] = [];
  let refusedNumUnique: string;
  let conflictNumUnique: string;

  const get = async (path: string, who: { name: string; password: string } = VIEWER): Promise<string> => {
    const res = await fetch(`${gateway.webUrl}${path}`, { headers: { ...basicAuth(who), accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return res.text();
  };
  const getHtml = async (path: string): Promise<string> => {
    const res = await fetch(`${gateway.webUrl}${path}`, { headers: { ...basicAuth(OPERATOR), accept: 'text/html' } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return decodeHtml(await res.text());
  };

  beforeAll(async () => {
    dirs = testDirs('ops-leak');
    sne = await startSneSimulator({ seed: 'ops-leak', count: COUNT });
    for (const r of sne.store.iterate()) demandes.push(r.demande);
    refusedNumUnique = demandes[10]!.numUnique!;
    conflictNumUnique = demandes[20]!.numUnique!;
    sim = await startLocalSimulator({
      token: TEST_LOCAL_TOKEN,
      dbPath: ':memory:',
      // The local tool refuses one demand for a reason of its own: a dead letter.
      validateRecord: (record, { numUnique }) =>
        numUnique === refusedNumUnique
          ? [{ path: 'demandeur', rule: 'local-duplicate-person', message: 'the local tool already knows this person under another demand' }]
          : canonicalRecordRules(record),
    });
    const config = testConfig({
      dirs,
      prefix,
      localUrl: sim.url,
      extra: { web: await webSection(), pull: { pageSize: 50, parseThreads: 1, delivery: 'queued' } },
    });
    const local = createLocalClient({ baseUrl: sim.url, token: TEST_LOCAL_TOKEN });
    gateway = new Gateway({ config, logger: logs.logger, local, systems: new Map(), roles: ['worker', 'web'] });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway?.close();
    await sim?.close();
    await sne?.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
  });

  async function pull(): Promise<Awaited<ReturnType<Gateway['waitForRun']>>> {
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    return gateway.waitForRun(runId, { timeoutMs: 30_000 });
  }

  it('runs a sync with quarantined records, a dead letter and a conflict', async () => {
    // The SNE's stock as a dispatch file, two of whose records are spoilt on the way.
    const staging = join(dirs.root, 'staging');
    mkdirSync(staging);
    await sne.writeDispatchFile({ dir: staging, all: true });
    const [file] = readdirSync(staging);
    const blocks = readFileSync(join(staging, file!), 'utf8').split('<demandeLogement>');
    blocks[4] = blocks[4]!.replace(/<dateNaissance>\d{4}-\d{2}-\d{2}<\/dateNaissance>/, `<dateNaissance>${BAD_DATE}</dateNaissance>`);
    blocks[9] = blocks[9]!.replace(/<montant>\d+<\/montant>/, '<montant>beaucoup</montant>');
    writeFileSync(join(staging, file!), blocks.join('<demandeLogement>'));
    renameSync(join(staging, file!), join(dirs.drop, file!));

    const first = await pull();
    expect(first.counts).toMatchObject({ fetched: COUNT, quarantined: 2, delivered: COUNT - 3, failed: 1 });

    // Someone changes a demand in the local tool, and the SNE sends a newer one: a conflict.
    const touched = await fetch(`${sim.url}/_sim/demandes/${conflictNumUnique}/touch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_LOCAL_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(touched.status).toBe(200);
    const changed = structuredClone(demandes[20]!);
    changed.demandeur.telPortable = NEW_PHONE;
    demandes.push(changed);
    // Dated after the first file: an older content arriving late would be set aside, not delivered.
    const later = new Date(Date.now() + 3_600_000).toISOString().replace('Z', '+00:00');
    writeFileSync(join(dirs.drop, 'DEMG0123-202611210300-000001.xml'), dispatchXml([changed], later));
    const second = await pull();
    expect(second.counts).toMatchObject({ fetched: 1, changed: 1, conflicts: 1 });

    gateway.operations.metrics.recordRun(first);
    gateway.operations.metrics.recordRun(second);
  });

  it('finds none of the personal values in the dashboard, the API, the pages, the metrics, the logs or Redis', async () => {
    const surfaces: Surface[] = [];
    const add = (where: string, text: string) => surfaces.push({ where, text });

    // The gateway's own views: each non-empty, so that the scan reads something.
    const views = { runs: '/api/runs', deadLetters: '/api/dead-letters?status=all', quarantine: '/api/quarantine', conflicts: '/api/conflicts' };
    for (const [name, path] of Object.entries(views)) {
      const text = await get(path);
      expect([name, (JSON.parse(text) as { items: unknown[] }).items.length > 0]).toEqual([name, true]);
      add(path, text);
    }
    for (const path of ['/api/cursors', '/api/audit', '/api/session']) add(path, await get(path));
    const deadLetters = JSON.parse(await get(views.deadLetters)) as { items: Array<{ id: string; numUnique: string }> };
    expect(deadLetters.items.map((d) => d.numUnique)).toEqual([refusedNumUnique]);
    for (const d of deadLetters.items) add(`/api/dead-letters/${d.id}`, await get(`/api/dead-letters/${d.id}`));
    for (const path of ['/runs', '/dead-letters?status=all', '/reports']) add(path, await getHtml(path));
    const metrics = await get('/metrics');
    expect(metrics).toMatch(/passerelle_/);
    add('/metrics', metrics);

    // The dashboard (bull-board) API: every queue, every status, every job, its logs.
    const listed = new Map<string, Set<string>>();
    const board = JSON.parse(await get('/queues/api/queues', OPERATOR)) as { queues: Array<{ name: string; statuses: string[] }> };
    add('/queues/api/queues', JSON.stringify(board));
    for (const q of board.queues) {
      const ids = new Set<string>();
      for (const status of ['latest', ...q.statuses]) {
        for (let page = 1; ; page++) {
          const path = `/queues/api/queues?activeQueue=${q.name}&status=${status}&page=${page}&jobsPerPage=100`;
          const text = await get(path, OPERATOR);
          add(path, text);
          const mine = (JSON.parse(text) as { queues: Array<{ name: string; jobs: Array<{ id: string }>; pagination: { pageCount: number } }> }).queues.find(
            (x) => x.name === q.name,
          )!;
          for (const j of mine.jobs) ids.add(j.id);
          if (page >= mine.pagination.pageCount) break;
        }
      }
      for (const id of ids) {
        const base = `/queues/api/queues/${q.name}/${encodeURIComponent(id)}`;
        add(base, await get(base, OPERATOR));
        add(`${base}/logs`, await get(`${base}/logs`, OPERATOR));
      }
      listed.set(q.name, ids);
    }
    // Every delivery job was seen (one per changed demand), the failed one included.
    expect(listed.get('deliver')!.size).toBe(COUNT - 2 + 1);
    expect(listed.get('pull')!.size).toBe(2);

    // Every log line of the run.
    const logText = await logs.text();
    expect(logText).toMatch(/delivery failed: dead letter/);
    add('logs', logText);

    // Every key of the run in Redis, names and values; sealed payloads must open, and are then set aside.
    let sealedSeen = 0;
    const unseal = (where: string, text: string): string =>
      text.replace(SEALED, (s) => {
        expect([where, gateway.cipher.open(s) !== undefined]).toEqual([where, true]);
        sealedSeen++;
        return '[sealed]';
      });
    let keyCount = 0;
    let cursor = '0';
    do {
      const [next, keys] = await t.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        keyCount++;
        add(`redis key name`, key);
        add(`redis ${key}`, unseal(key, await dump(key)));
      }
    } while (cursor !== '0');
    expect(keyCount).toBeGreaterThan(COUNT);
    // Deliveries, quarantine and the dead letter each keep their input sealed.
    expect(sealedSeen).toBeGreaterThanOrEqual(COUNT);
    for (const s of surfaces.filter((x) => !x.where.startsWith('redis'))) s.text = unseal(s.where, s.text);

    const needles = matchers([...demandes.flatMap(personalValuesOf), BAD_DATE, NEW_PHONE]);
    expect(needles.length).toBeGreaterThan(COUNT * 5);
    // The scan is not blind: a demand written out as JSON (with its address line and phone digits, as a
    // letter or a dialler shows them) gives away every one of its values, and in the SNE format every amount.
    for (const d of demandes.slice(0, 30)) {
      const own = matchers(personalValuesOf(d));
      const a = d.demandeur.adressePostale;
      const leaked = `${JSON.stringify(d)}; courrier: ${a?.numero ?? ''} ${a?.voie ?? ''}; tel ${(d.demandeur.telPortable ?? '').replace(/\D/g, '')}`;
      expect(own.filter((n) => !n.re.test(leaked)).map((n) => n.value)).toEqual([]);
      const xml = dispatchXml([d]);
      expect(own.filter((n) => /^\d{1,5}$/.test(n.value) && !n.re.test(xml)).map((n) => n.value)).toEqual([]);
    }
    const found: string[] = [];
    for (const s of surfaces) {
      for (const n of needles) {
        const m = n.re.exec(s.text);
        if (m) found.push(`${s.where}: "${n.value}" in …${s.text.slice(Math.max(0, m.index - 60), m.index + n.value.length + 60)}…`);
      }
    }
    expect(found).toEqual([]);
  });

  async function dump(key: string): Promise<string> {
    const r = t.redis;
    switch (await r.type(key)) {
      case 'string':
        return (await r.getBuffer(key))?.toString('utf8') ?? '';
      case 'hash':
        return JSON.stringify(await r.hgetall(key));
      case 'list':
        return JSON.stringify(await r.lrange(key, 0, -1));
      case 'set':
        return JSON.stringify(await r.smembers(key));
      case 'zset':
        return JSON.stringify(await r.zrange(key, 0, '-1', 'WITHSCORES'));
      case 'stream':
        return JSON.stringify(await r.xrange(key, '-', '+'));
      default:
        return '';
    }
  }
});
