/**
 * Faulty services (design.md §3.2, §3.4): the simulators misbehave while the gateway works, and the
 * gateway must converge to the right end state without duplicate effects, wait as long as a
 * `Retry-After` asks, and alert once per state change (never once per retry).
 *
 * - The local tool, during a full sync (inline, then queued delivery): a burst of 500s, 429 with
 *   `Retry-After`, a maintenance window (503 + `Retry-After`), latency spikes beyond the client's timeout,
 *   timeouts after the write was applied, truncated and malformed answers, a burst of 503s; each fault
 *   switched on when the sync reaches a seeded point.
 * - The SNE service, during targeted reads of demands: 5xx, 429 with `Retry-After`, a maintenance window,
 *   latency spikes, connection resets, truncated MTOM (connection cut mid-body), half MTOM bodies, and
 *   malformed XML inside a well-framed MTOM answer (spoiled by a recording proxy).
 *
 * Every request goes through a recording proxy: the `Retry-After` check reads what really went over
 * the wire. Alerts go to a webhook on loopback run by the suite, which counts them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultSpec } from '../../src/simulators/common/faults';
import { PushStream } from './crash';
import { retryAfterViolations, type RecordingProxy } from './proxy';
import { comparePullEndState, createWorld, deadLetterCodes, emptyResult, hookLocalWrites, rngFor, secs, sleep, spawnDaemon, waitForQuiescence, waitUntil, type ChildDaemon, type Check, type SectionResult, type World } from './support';

export interface FaultsOptions {
  seed: string;
  count: number;
  /** Demands read one by one from the SNE under faults. */
  sneReads: number;
  /** Label events pushed to the faulty SNE. */
  pushEvents: number;
  log?: (line: string) => void;
}

interface AlertSink {
  url: string;
  received: Array<{ alert: string; state: string }>;
  close(): Promise<void>;
}

export async function startAlertSink(): Promise<AlertSink> {
  const received: Array<{ alert: string; state: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const n = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert: string; state: string };
        received.push({ alert: n.alert, state: n.state });
      } catch {
        received.push({ alert: 'unreadable', state: 'unreadable' });
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Notifications repeating the previous state of the same alert: a flood (there must be none). */
export function repeatedAlerts(received: ReadonlyArray<{ alert: string; state: string }>): number {
  const last = new Map<string, string>();
  let repeats = 0;
  for (const n of received) {
    if (last.get(n.alert) === n.state) repeats++;
    last.set(n.alert, n.state);
  }
  return repeats;
}

/** The local tool's faults, each switched on at a fraction of the sync (on the PUT and the batch alike). */
function localSchedule(now: () => number): Array<{ at: number; label: string; faults: () => FaultSpec[] }> {
  const WRITES = [
    { method: 'PUT', path: '/demandes/:numUnique' },
    { method: 'POST', path: '/demandes/batch' },
  ];
  const both = (f: (w: (typeof WRITES)[number]) => FaultSpec) => () => WRITES.map(f);
  return [
    { at: 0.0, label: '500 burst', faults: both((w) => ({ kind: 'error', status: 500, ...w, count: 10 })) },
    { at: 0.15, label: '429 Retry-After 2', faults: both((w) => ({ kind: 'rateLimit', retryAfterSeconds: 2, ...w, count: 5 })) },
    { at: 0.3, label: 'maintenance 3 s', faults: () => [{ kind: 'maintenance', until: now() + 3_000 }] },
    { at: 0.45, label: 'latency spikes', faults: () => [{ kind: 'latency', minMs: 300, maxMs: 1_500, rate: 0.08 }] },
    { at: 0.55, label: 'timeout after write', faults: both((w) => ({ kind: 'timeoutAfterProcessing', ...w, count: 4, holdMs: 1_500 })) },
    { at: 0.7, label: 'truncated answers', faults: both((w) => ({ kind: 'truncated', ...w, count: 3 })) },
    { at: 0.8, label: 'malformed answers', faults: both((w) => ({ kind: 'malformed', ...w, count: 3 })) },
    { at: 0.9, label: '503 burst Retry-After 1', faults: both((w) => ({ kind: 'error', status: 503, retryAfterSeconds: 1, ...w, count: 5 })) },
  ];
}

interface Episode {
  checks: Check[];
  /** Neither delivered nor parked as a dead letter. */
  lost: number;
  /** Parked for an operator (dead letters with their input): not lost, not converged by itself. */
  parked: number;
  duplicates: number;
  faults: number;
  figures: Record<string, unknown>;
  alerts: Array<{ alert: string; state: string }>;
}

async function withDaemon<T>(world: World, body: () => Promise<T>): Promise<T> {
  const daemon: ChildDaemon = spawnDaemon(world.configPath, world.logPath, 'worker,scheduler');
  try {
    return await body();
  } finally {
    await daemon.kill('SIGKILL');
  }
}

const FAULT_QUEUES = { backoff: { baseMs: 100, maxMs: 2_000 }, attempts: 40, shutdownDeadlineMs: 2_000, lockDurationMs: 2_000, stalledIntervalMs: 1_000 };

export async function localEpisode(o: FaultsOptions, delivery: 'inline' | 'queued', sink: AlertSink): Promise<Episode> {
  const world = await createWorld({
    name: `faults-local-${delivery}`,
    seed: `${o.seed}-faults-${delivery}`,
    count: o.count,
    proxy: { local: true },
    extra: { pull: { pageSize: 50, parseThreads: 1, delivery }, queues: FAULT_QUEUES, alerts: { webhookUrl: sink.url, deadLettersThreshold: 1 } },
  });
  const proxy = world.proxies.local as RecordingProxy;
  try {
    const schedule = localSchedule(Date.now);
    let next = 0;
    const fired: string[] = [];
    const arm = () => {
      while (next < schedule.length && writes.applied() >= Math.floor((schedule[next]?.at ?? 1) * o.count)) {
        const s = schedule[next++];
        if (!s) break;
        for (const f of s.faults()) world.local.sim.faults.add(f);
        fired.push(s.label);
      }
    };
    const writes = hookLocalWrites(world, arm);
    arm();
    const t0 = Date.now();
    const alertsBefore = sink.received.length;
    await world.sne.writeDispatchFile({ dir: world.dirs.drop, all: true, perFile: Math.ceil(o.count / 2) });
    const settled = await withDaemon(world, async () => {
      const { runId, jobId } = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
      return waitForQuiescence(world, jobId, runId);
    });
    // The alert states live in Redis: restarting the daemon must not notify them again.
    for (let r = 0; r < 3; r++) {
      const before = world.log().split('gateway started').length;
      await withDaemon(world, async () => {
        await waitUntil(async () => world.log().split('gateway started').length > before, 30_000, 'the daemon to start');
        await sleep(1_000);
      });
    }
    const end = await comparePullEndState(world);
    const injected = world.local.sim.faults.list();
    const ra = retryAfterViolations(proxy.exchanges, 'key');
    if (process.env.PASSERELLE_CHAOS_DEBUG === '1' && ra.violations[0]) {
      const key = ra.violations[0].keys?.[0];
      for (const e of proxy.exchanges.filter((x) => key && x.keys?.includes(key))) console.error(`DEBUG ${e.method} ${e.path} ${e.startedAt - t0}..${e.endedAt - t0} ${e.status} ${e.retryAfterSeconds ?? ''}`);
    }
    const parked = await deadLetterCodes(world);
    const deadLetters = Object.values(parked).reduce((a, b) => a + b, 0);
    const alerts = sink.received.slice(alertsBefore);
    const statusCounts: Record<string, number> = {};
    for (const e of proxy.exchanges) statusCounts[String(e.status)] = (statusCounts[String(e.status)] ?? 0) + 1;
    const faultyAnswers = proxy.exchanges.filter((e) => e.status === 0 || e.status >= 429).length;
    return {
      lost: Math.max(0, end.missing - deadLetters),
      parked: deadLetters,
      duplicates: end.duplicates,
      faults: fired.length,
      alerts,
      checks: [
        {
          name: `local tool faults, ${delivery} delivery: converged by itself (${fired.join(', ')})`,
          ok: settled.job === 'completed' && settled.run === 'finished' && end.missing === 0,
          detail: `job ${settled.job}, run ${settled.run}, ${end.writes}/${end.expected} written, ${end.missing} missing, of which parked as dead letters ${deadLetters}${deadLetters ? ` ${JSON.stringify(parked)}` : ''}`,
        },
        {
          name: `local tool faults, ${delivery} delivery: nothing lost (every demand written, or parked as a dead letter with its input)`,
          ok: end.missing - deadLetters <= 0,
          detail: `${Math.max(0, end.missing - deadLetters)} neither written nor parked`,
        },
        { name: `local tool faults, ${delivery} delivery: no duplicate effect`, ok: end.duplicates === 0, detail: String(end.duplicates) },
        {
          name: `local tool faults, ${delivery} delivery: no request to a demand sooner than its Retry-After`,
          ok: ra.violations.length === 0,
          detail: `${ra.asked} answers with Retry-After, ${ra.violations.length} early requests${ra.first ? ` (first: ${ra.first})` : ''}`,
        },
      ],
      figures: {
        durationMs: Date.now() - t0,
        requests: proxy.exchanges.length,
        faultyAnswers,
        statusCounts,
        faultsLeft: injected.length,
        retryAfterAnswers: ra.asked,
        earlyRequests: ra.violations.length,
      },
    };
  } finally {
    await world.close();
  }
}

/** Breaks the XML of an MTOM (or plain SOAP) answer while keeping its MIME framing. */
export function spoilXml(body: Buffer): Buffer {
  const text = body.toString('latin1');
  const i = text.indexOf('</');
  if (i < 0) return body;
  // An end tag that closes nothing: not well-formed, same length.
  return Buffer.from(`${text.slice(0, i)}</x${text.slice(i + 3)}`, 'latin1');
}

export async function sneEpisode(o: FaultsOptions, sink: AlertSink): Promise<Episode> {
  const world = await createWorld({
    name: 'faults-sne',
    seed: `${o.seed}-faults-sne`,
    count: o.sneReads,
    proxy: { sne: true },
    extra: {
      sne: { timeoutMs: 1_500, rateLimit: { max: 100, durationMs: 1_000 } },
      queues: FAULT_QUEUES,
      alerts: { webhookUrl: sink.url, deadLettersThreshold: 1 },
    },
  });
  const proxy = world.proxies.sne as RecordingProxy;
  try {
    const rng = rngFor(o.seed, 'faults-sne');
    const SOAP = { path: '/services/*' };
    const faults: Array<{ label: string; spec?: FaultSpec; spoil?: number }> = [
      { label: '5xx burst', spec: { kind: 'error', status: 500, ...SOAP, count: 3 } },
      { label: '429 Retry-After 2', spec: { kind: 'rateLimit', retryAfterSeconds: 2, ...SOAP, count: 2 } },
      { label: 'connection resets', spec: { kind: 'reset', ...SOAP, count: 2 } },
      { label: 'truncated MTOM', spec: { kind: 'truncated', ...SOAP, count: 2 } },
      { label: 'half MTOM body', spec: { kind: 'malformed', ...SOAP, count: 2 } },
      { label: 'malformed XML', spoil: 3 },
      // Rare: a targeted re-pull is all or nothing (one page after every read), so frequent timeouts
      // would fail every attempt of a large one (docs/reliability.md, limits).
      { label: 'latency spikes', spec: { kind: 'latency', minMs: 200, maxMs: 2_500, rate: 0.02, ...SOAP } },
    ];
    // Shuffled per seed: the order the gateway meets them in changes with the seed.
    for (let i = faults.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [faults[i], faults[j]] = [faults[j] as (typeof faults)[number], faults[i] as (typeof faults)[number]];
    }
    for (const f of faults) {
      if (f.spec) world.sne.faults.add(f.spec);
      if (f.spoil) proxy.spoilNext(f.spoil, spoilXml);
    }
    const t0 = Date.now();
    // A maintenance window opens a little later, while the reads go on.
    const maintenance = setTimeout(() => world.sne.faults.add({ kind: 'maintenance', until: Date.now() + 3_000, ...SOAP }), 1_500);
    const numUniques = [...world.sne.store.iterate()].map((r) => r.numUnique);
    const alertsBefore = sink.received.length;
    const settled = await withDaemon(world, async () => {
      const { runId, jobId } = await world.trigger.triggerPull({ source: 'sne:demande', numUniques, trigger: 'chaos' });
      return waitForQuiescence(world, jobId, runId);
    }).finally(() => clearTimeout(maintenance));
    const end = await comparePullEndState(world);
    const parked = await deadLetterCodes(world);
    const ra = retryAfterViolations(proxy.exchanges, 'target');
    const statusCounts: Record<string, number> = {};
    for (const e of proxy.exchanges) statusCounts[String(e.status)] = (statusCounts[String(e.status)] ?? 0) + 1;
    const deadLetters = Object.values(parked).reduce((a, b) => a + b, 0);
    return {
      lost: Math.max(0, end.missing - deadLetters),
      parked: deadLetters,
      duplicates: end.duplicates,
      faults: faults.length + 1,
      alerts: sink.received.slice(alertsBefore),
      checks: [
        {
          name: `SNE faults during reads: converged by itself (${[...faults.map((f) => f.label), 'maintenance 3 s'].join(', ')})`,
          ok: settled.job === 'completed' && end.missing === 0,
          detail: `job ${settled.job}, run ${settled.run}, ${end.writes}/${end.expected} written, ${end.missing} missing, parked ${deadLetters}`,
        },
        { name: 'SNE faults during reads: no duplicate effect', ok: end.duplicates === 0, detail: String(end.duplicates) },
        {
          name: 'SNE faults during reads: the run says finished once its job completed',
          ok: settled.job !== 'completed' || settled.run === 'finished',
          detail: `job ${settled.job}, run ${settled.run}`,
        },
        {
          name: 'SNE faults during reads: no request sooner than a Retry-After',
          ok: ra.violations.length === 0,
          detail: `${ra.asked} answers with Retry-After, ${ra.violations.length} early requests${ra.first ? ` (first: ${ra.first})` : ''}`,
        },
      ],
      figures: { durationMs: Date.now() - t0, requests: proxy.exchanges.length, statusCounts, retryAfterAnswers: ra.asked, earlyRequests: ra.violations.length },
    };
  } finally {
    await world.close();
  }
}

/** The numéro unique a SOAP write (or read) is about, read from its body. */
export function numUniqueOfSoap(body: Buffer): string[] | undefined {
  const nu = /<numUnique>([^<]{1,18})<\/numUnique>/.exec(body.toString('latin1'))?.[1];
  return nu === undefined ? undefined : [nu];
}

/**
 * Pushes to a faulty SNE: label events on demands the local tool holds, while the SNE's write operation
 * fails in bursts (5xx enough to open the circuit), rate-limits, goes into maintenance, times out after
 * applying the write, truncates and spoils its answers.
 */
async function pushEpisode(o: FaultsOptions, sink: AlertSink): Promise<Episode> {
  const world = await createWorld({
    name: 'faults-push',
    seed: `${o.seed}-faults-push`,
    count: 60,
    proxy: { sne: true, sneKeyOf: numUniqueOfSoap },
    extra: {
      sne: { timeoutMs: 1_500, rateLimit: { max: 100, durationMs: 1_000 } },
      push: { pollMs: 200 },
      queues: { ...FAULT_QUEUES, circuit: { failureThreshold: 5, openMs: 3_000 } },
      alerts: { webhookUrl: sink.url, deadLettersThreshold: 1 },
    },
  });
  const proxy = world.proxies.sne as RecordingProxy;
  try {
    const records = [...world.sne.store.iterate()].filter((r) => r.demande.radiation === undefined).slice(0, 20);
    world.local.sim.store.seedDemandes(records.map((r) => ({ numUnique: r.numUnique, record: JSON.parse(JSON.stringify(r.demande)) as unknown })));
    const WRITE = { path: '/services/DemandeLogementImplService/getNumUnique' };
    const faults: Array<{ label: string; spec: FaultSpec }> = [
      { label: '500 burst (opens the circuit)', spec: { kind: 'error', status: 500, ...WRITE, count: 8 } },
      { label: '429 Retry-After 2', spec: { kind: 'rateLimit', retryAfterSeconds: 2, ...WRITE, count: 3 } },
      { label: 'timeout after the write', spec: { kind: 'timeoutAfterProcessing', ...WRITE, count: 3, holdMs: 2_500 } },
      { label: 'truncated MTOM answer', spec: { kind: 'truncated', ...WRITE, count: 2 } },
      { label: 'half MTOM answer', spec: { kind: 'malformed', ...WRITE, count: 2 } },
      { label: 'latency spikes', spec: { kind: 'latency', minMs: 200, maxMs: 2_000, rate: 0.1, ...WRITE } },
    ];
    for (const f of faults) world.sne.faults.add(f.spec);
    const t0 = Date.now();
    const maintenance = setTimeout(() => world.sne.faults.add({ kind: 'maintenance', until: Date.now() + 3_000, ...WRITE }), 4_000);
    const stream = new PushStream(world, records.map((r) => r.numUnique), o.pushEvents, 'F');
    const alertsBefore = sink.received.length;
    const end = await withDaemon(world, async () => {
      stream.start(3, 200);
      await waitUntil(() => stream.settled(), 240_000, 'every event acknowledged or parked', 250);
      // Let the circuit close again and the alert rules see it.
      await sleep(1_000);
      return stream.endState();
    }).finally(() => clearTimeout(maintenance));
    const ra = retryAfterViolations(proxy.exchanges, 'key');
    const parked = await deadLetterCodes(world);
    const statusCounts: Record<string, number> = {};
    for (const e of proxy.exchanges) statusCounts[String(e.status)] = (statusCounts[String(e.status)] ?? 0) + 1;
    return {
      lost: end.lost,
      parked: end.parked,
      duplicates: end.duplicates,
      faults: faults.length + 1,
      alerts: sink.received.slice(alertsBefore),
      checks: [
        {
          name: `pushes to a faulty SNE: every event delivered by itself (${[...faults.map((f) => f.label), 'maintenance 3 s'].join(', ')})`,
          ok: end.lost === 0 && end.parked === 0,
          detail: `${end.events} events, lost ${end.lost}, parked ${end.parked}${end.parked ? ` ${JSON.stringify(parked)}` : ''}`,
        },
        { name: 'pushes to a faulty SNE: no duplicate effect (SNE writes, delivered acknowledgements)', ok: end.duplicates === 0, detail: `${end.duplicates}; resubmissions the simulator recognised: ${end.resubmissions}` },
        { name: 'pushes to a faulty SNE: per-demand order kept', ok: end.outOfOrder === 0, detail: `${end.outOfOrder} demands out of order` },
        {
          name: 'pushes to a faulty SNE: no write for a demand sooner than its Retry-After',
          ok: ra.violations.length === 0,
          detail: `${ra.asked} answers with Retry-After, ${ra.violations.length} early requests${ra.first ? ` (first: ${ra.first})` : ''}`,
        },
      ],
      figures: { durationMs: Date.now() - t0, requests: proxy.exchanges.length, statusCounts, retryAfterAnswers: ra.asked, earlyRequests: ra.violations.length, resubmissions: end.resubmissions },
    };
  } finally {
    await world.close();
  }
}

export async function runFaults(o: FaultsOptions): Promise<SectionResult> {
  const result = emptyResult('faults');
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const sink = await startAlertSink();
  let faults = 0;
  let trials = 0;
  // Each episode has its own Redis prefix, hence its own alert states: repeats are counted per episode.
  let repeats = 0;
  let parked = 0;
  try {
    const episodes: Array<[string, () => Promise<Episode>]> = [
      ['local tool, inline delivery', () => localEpisode(o, 'inline', sink)],
      ['local tool, queued delivery', () => localEpisode(o, 'queued', sink)],
      ['SNE reads', () => sneEpisode(o, sink)],
      ['pushes to the SNE', () => pushEpisode(o, sink)],
    ];
    for (const [name, run] of episodes) {
      const t0 = Date.now();
      trials++;
      try {
        const e = await run();
        result.lost += e.lost;
        result.duplicates += e.duplicates;
        faults += e.faults;
        result.checks.push(...e.checks);
        result.figures[name] = { ...e.figures, alerts: e.alerts.map((n) => `${n.alert}:${n.state}`) };
        repeats += repeatedAlerts(e.alerts);
        parked += e.parked;
        log(`  ${name}: lost ${e.lost}, parked ${e.parked}, duplicates ${e.duplicates}, ${e.faults} faults, ${e.alerts.length} alerts (${secs(Date.now() - t0)})`);
      } catch (err) {
        result.checks.push({ name: `${name}: episode ran`, ok: false, detail: err instanceof Error ? err.message : String(err) });
        log(`  ${name}: FAILED ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    result.checks.push({
      name: 'alerts: one notification per state change, none repeated (across 3 daemon restarts)',
      ok: repeats === 0,
      detail: `${sink.received.length} notifications (${[...new Set(sink.received.map((n) => `${n.alert}:${n.state}`))].join(', ') || 'none'}), ${repeats} repeated`,
    });
    result.figures.alerts = sink.received.length;
    result.figures.parked = parked;
  } finally {
    await sink.close();
  }
  result.trials = trials;
  result.faults = faults;
  result.durationMs = Date.now() - started;
  return result;
}
