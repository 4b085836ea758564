/**
 * `npm run bench -- push [--rate 50] [--seconds 30] [--concurrency 8] [--mode hmac|poll] [--poll-ms N]
 * [--step-seconds 10] [--max-rate 1000] [--no-step] [--demandes 2000]`
 *
 * The push pipeline under a sustained event rate, end to end. The local tool (the local-tool simulator)
 * records each event (`recordedAt`) and, by default, notifies it to the gateway's HMAC endpoint, the
 * gateway's feed follower running as safety net (`--mode poll`: the follower alone, every `--poll-ms`).
 * The gateway maps each event, sends it to the **SNE simulator** through the real SNE client (SOAP/MTOM
 * on loopback) and acknowledges it to the local tool. Latency = the `delivered` acknowledgement's
 * arrival at the local tool minus the event's `recordedAt` (one clock: the simulator's).
 *
 * Phase 1 holds `--rate` events/s for `--seconds`; phase 2 steps the rate up (`--step-seconds` each)
 * until p95 exceeds 250 ms or acknowledgements fall behind: the last step that held is the maximum
 * sustained rate. The simulators (and the local tool's side of the traffic) run in a child process, the
 * gateway alone in this one, and each side's CPU time per event is printed: on a shared machine the
 * latencies move with its load, the CPU cost per event much less. The target's rate limit is off here
 * (the SNE's own, 5/s by default, would cap any figure): this measures the pipeline.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Benchmark } from './run';

const ROLE_ENV = 'PASSERELLE_BENCH_PUSH_ROLE';
const TOKEN = 'bench-push-local-token-0123456789';
const HMAC = 'bench-push-hmac-secret-0123456789abcdef';
const KEY = Buffer.alloc(32, 5).toString('base64');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const P95_LIMIT_MS = 250;

// ---- the simulators' process (and the local tool's side of the traffic) --------------------------------

type ToSims =
  | { type: 'drive'; rate: number; seconds: number; endpoint: string | null }
  | { type: 'latencies'; fromSeq: number; toSeq: number }
  | { type: 'stats' }
  | { type: 'close' };
type FromSims =
  | { type: 'ready'; sneUrl: string; localUrl: string; lastSeq: number }
  | { type: 'drive'; fromSeq: number; toSeq: number; sent: number; notifyErrors: number }
  | { type: 'latencies'; latencies: Array<number | null> }
  | { type: 'stats'; writes: number; duplicateWrites: number; refusedWrites: number; cpuMs: number };

async function simsMain(): Promise<void> {
  const { startSneSimulator } = await import('../src/simulators/sne');
  const { startLocalSimulator } = await import('../src/simulators/local');
  const { signEvents } = await import('../src/push/http');
  const count = Number(process.env.BENCH_PUSH_DEMANDES ?? 2000);
  const sne = await startSneSimulator({ count, seed: 'bench-push' });
  const local = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:' });
  const demandes = [...sne.store.iterate()].map((r) => r.demande).filter((d) => d.radiation === undefined && d.numUnique);
  local.store.seedDemandes(demandes.map((d) => ({ numUnique: d.numUnique!, record: d })));
  const numUniques = demandes.map((d) => d.numUnique!);
  const firstDelivered = local.store.db.prepare<[number, number], { recorded_at: string; ack_at: string | null }>(
    `SELECT e.recorded_at, (SELECT MIN(a.received_at) FROM acquittements a WHERE a.evenement_id = e.id AND a.status = 'delivered') AS ack_at
     FROM evenements e WHERE e.seq > ? AND e.seq <= ?`,
  );
  const lastSeq = (): number => (local.store.db.prepare('SELECT MAX(seq) AS s FROM evenements').get() as { s: number | null }).s ?? 0;
  let n = 0;

  /** The local tool: records an event, then notifies it (HMAC), paced on the clock, not on the answers. */
  async function drive(rate: number, seconds: number, endpoint: string | null): Promise<FromSims> {
    const fromSeq = lastSeq();
    const inFlight = new Set<Promise<void>>();
    let notifyErrors = 0;
    const total = Math.round(rate * seconds);
    const start = Date.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const i = n++;
        const { evenement } = local.store.addEvenement({
          id: `bench-${process.pid}-${i}`,
          numUnique: numUniques[(i * 7919) % numUniques.length]!,
          type: 'label',
          occurredAt: new Date().toISOString(),
          payload: { source: 'DALO', date: '2024-03-01', emetteur: `BENCH-${i}` },
        });
        if (!endpoint) continue;
        const body = JSON.stringify({ events: [evenement] });
        const ts = Math.floor(Date.now() / 1000);
        const p = fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-passerelle-timestamp': String(ts), 'x-passerelle-signature': signEvents(HMAC, ts, body) },
          body,
        })
          .then(async (res) => {
            if (res.status !== 202) notifyErrors++;
            await res.arrayBuffer();
          })
          .catch(() => {
            notifyErrors++;
          });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inFlight);
    return { type: 'drive', fromSeq, toSeq: lastSeq(), sent, notifyErrors };
  }

  const send = (m: FromSims) => process.send?.(m);
  process.on('message', (m: ToSims) => {
    if (m.type === 'drive') void drive(m.rate, m.seconds, m.endpoint).then(send);
    else if (m.type === 'latencies') {
      const rows = firstDelivered.all(m.fromSeq, m.toSeq);
      send({ type: 'latencies', latencies: rows.map((r) => (r.ack_at ? Date.parse(r.ack_at) - Date.parse(r.recorded_at) : null)) });
    } else if (m.type === 'stats') {
      const s = sne.stats();
      const cpu = process.cpuUsage();
      send({ type: 'stats', writes: s.writes, duplicateWrites: s.duplicateWrites, refusedWrites: s.refusedWrites, cpuMs: (cpu.user + cpu.system) / 1000 });
    } else {
      void Promise.all([sne.close(), local.close()]).then(() => process.exit(0));
    }
  });
  send({ type: 'ready', sneUrl: sne.url, localUrl: local.url, lastSeq: lastSeq() });
}

if (process.env[ROLE_ENV] === 'sims') void simsMain();

// ---- the gateway's side --------------------------------------------------------------------------------

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(args[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

function textOption(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const cpuMsNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

class Sims {
  private waiting: Array<(m: FromSims) => void> = [];
  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: FromSims) => this.waiting.shift()?.(m));
  }
  ask<T extends FromSims['type']>(m: ToSims): Promise<Extract<FromSims, { type: T }>> {
    return new Promise((resolve) => {
      this.waiting.push((r) => resolve(r as Extract<FromSims, { type: T }>));
      this.child.send(m);
    });
  }
}

function startSims(demandes: number): Promise<{ sims: Sims; child: ChildProcess; ready: Extract<FromSims, { type: 'ready' }> }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, [ROLE_ENV]: 'sims', BENCH_PUSH_DEMANDES: String(demandes) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m: FromSims) => {
      if (m.type === 'ready') resolve({ sims: new Sims(child), child, ready: m });
    });
    child.once('exit', (code) => reject(new Error(`the simulators' process exited with ${code}`)));
  });
}

interface PhaseResult {
  rate: number;
  sent: number;
  acked: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Events not acknowledged `delivered` within the grace period after the phase. */
  behind: number;
  held: boolean;
  gatewayCpuMsPerEvent: number;
  simsCpuMsPerEvent: number;
}

const bench: Benchmark = {
  description: 'push pipeline: local event -> HMAC/feed intake -> SNE simulator -> acknowledgement; p50/p95/p99 and max sustained rate',
  async run(args) {
    const rate = option(args, 'rate', 50);
    const seconds = option(args, 'seconds', 30);
    const concurrency = option(args, 'concurrency', 8);
    const stepSeconds = option(args, 'step-seconds', 10);
    const maxRate = option(args, 'max-rate', 1000);
    const demandeCount = option(args, 'demandes', 2000);
    const mode = textOption(args, 'mode', 'hmac');
    const pollMs = option(args, 'poll-ms', mode === 'poll' ? 100 : 1000);
    const step = !args.includes('--no-step');

    const { createInterfaceNuuCodec, loadElementTable } = await import('../src/codec');
    const { createLogger } = await import('../src/logging');
    const { loadMappings } = await import('../src/mapping');
    const { createPushPipeline, createEventIntakeRouter, fixedMappings } = await import('../src/push');
    const { Circuit } = await import('../src/queue/circuit');
    const { PayloadCipher } = await import('../src/queue/crypto');
    const { keys: makeKeys } = await import('../src/queue/keys');
    const { DemandLocks } = await import('../src/queue/locks');
    const { createRedis, closeRedis } = await import('../src/queue/redis');
    const { CursorStore } = await import('../src/state/cursors');
    const { DeadLetterStore } = await import('../src/state/dead-letters');
    const { RunStore } = await import('../src/state/runs');
    const { createLocalClient } = await import('../src/systems/local');
    const { createSneClient, defaultAnomalyTablePath } = await import('../src/systems/sne');
    const { loadAnomalyTable } = await import('../src/systems/sne/wire/anomalies');

    console.log(`simulators: SNE simulator (SOAP/MTOM, through the real SNE client) and local-tool simulator, ${demandeCount} demands, in a child process`);
    const { sims, child, ready } = await startSims(demandeCount);
    const prefix = `bench-push-${process.pid}`;
    const keys = makeKeys(prefix);
    const redis = createRedis({ url: REDIS_URL, name: 'bench-push' });
    const bull = createRedis({ url: REDIS_URL, name: 'bench-push-bull' });
    const logger = createLogger({ level: 'error', format: 'json' });
    const local = createLocalClient({ baseUrl: ready.localUrl, token: TOKEN, timeoutMs: 10_000 });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    const sne = createSneClient({ url: ready.sneUrl, guichet: 'G0123', timeoutMs: 10_000, interfaceVersion: '02.01', codec, anomalyTable: loadAnomalyTable(defaultAnomalyTablePath) });
    const deadLetters = new DeadLetterStore(redis, keys);
    const pipeline = createPushPipeline({
      redis,
      bullConnection: bull,
      keys,
      targets: ['sne'],
      systems: new Map([['sne', sne]]),
      local,
      tables: fixedMappings(loadMappings()),
      cipher: new PayloadCipher([{ id: 'b1', secret: KEY }], 'b1'),
      circuit: new Circuit(redis, keys, { failureThreshold: 20, openMs: 5_000 }),
      locks: new DemandLocks(redis, keys),
      deadLetters,
      runs: new RunStore(redis, keys),
      cursors: new CursorStore(redis, keys),
      logger,
      retry: { attempts: 8, baseMs: 200, maxMs: 5_000 },
      concurrency,
      pollMs,
      pageSize: 500,
    });
    // The feed is followed from its current end: only this run's events.
    await new CursorStore(redis, keys).set('local-events', String(ready.lastSeq));
    pipeline.start();

    const app = express();
    app.use('/api/evenements', createEventIntakeRouter({ hmacSecret: HMAC, toleranceSeconds: 300, accept: (e) => pipeline.intake.accept(e), logger }));
    const server: Server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evenements`;
    console.log(
      `intake: ${mode === 'hmac' ? `HMAC notification of each event (feed follower every ${pollMs} ms as safety net)` : `feed follower every ${pollMs} ms`}; concurrency ${concurrency}; SNE rate limit off`,
    );
    let notifyErrors = 0;

    async function measure(r: number, s: number): Promise<PhaseResult> {
      const cpu0 = cpuMsNow();
      const sims0 = (await sims.ask<'stats'>({ type: 'stats' })).cpuMs;
      const driven = await sims.ask<'drive'>({ type: 'drive', rate: r, seconds: s, endpoint: mode === 'hmac' ? endpoint : null });
      notifyErrors += driven.notifyErrors;
      // Grace: whatever is not acknowledged within 5 s after the last event is "behind".
      const deadline = Date.now() + 5_000;
      let latencies: Array<number | null> = [];
      for (;;) {
        latencies = (await sims.ask<'latencies'>({ type: 'latencies', fromSeq: driven.fromSeq, toSeq: driven.toSeq })).latencies;
        if (latencies.every((l) => l !== null) || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      const cpu = cpuMsNow() - cpu0;
      const simsCpu = (await sims.ask<'stats'>({ type: 'stats' })).cpuMs - sims0;
      const done = latencies.filter((l): l is number => l !== null).sort((a, b) => a - b);
      const behind = latencies.length - done.length;
      const res: PhaseResult = {
        rate: r,
        sent: driven.sent,
        acked: done.length,
        p50: percentile(done, 50),
        p95: percentile(done, 95),
        p99: percentile(done, 99),
        max: done[done.length - 1] ?? NaN,
        behind,
        held: false,
        gatewayCpuMsPerEvent: Math.round((cpu / Math.max(1, done.length)) * 100) / 100,
        simsCpuMsPerEvent: Math.round((simsCpu / Math.max(1, driven.sent)) * 100) / 100,
      };
      res.held = res.p95 <= P95_LIMIT_MS && behind <= Math.ceil(driven.sent * 0.001);
      console.log(
        `${String(r).padStart(5)} ev/s x ${s}s: sent ${driven.sent}, acked ${done.length}, behind ${behind} | p50 ${res.p50} ms, p95 ${res.p95} ms, p99 ${res.p99} ms, max ${res.max} ms` +
          ` | CPU/event: gateway ${res.gatewayCpuMsPerEvent} ms, simulators ${res.simsCpuMsPerEvent} ms | load ${loadavg()[0]!.toFixed(1)} | ${res.held ? 'held' : 'NOT held'}`,
      );
      // Let the queue drain before the next phase.
      const drainUntil = Date.now() + 30_000;
      while (Date.now() < drainUntil) {
        const c = await pipeline.queues.get('sne')!.getJobCounts('wait', 'active', 'delayed');
        if ((c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) === 0) break;
        await new Promise((res2) => setTimeout(res2, 200));
      }
      return res;
    }

    // The machine may be shared: its load is part of the figures.
    const figures: Record<string, unknown> = { mode, concurrency, target: 'sne-simulator', cpus: cpus().length, loadavg_1m_start: Math.round(loadavg()[0]! * 100) / 100 };
    console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    try {
      // Warm-up (JIT, connections), not counted.
      await sims.ask<'drive'>({ type: 'drive', rate: Math.min(rate, 20), seconds: 2, endpoint: mode === 'hmac' ? endpoint : null });
      await new Promise((r) => setTimeout(r, 2_000));
      const main = await measure(rate, seconds);
      Object.assign(figures, {
        rate,
        seconds,
        sent: main.sent,
        acked: main.acked,
        behind: main.behind,
        p50_ms: main.p50,
        p95_ms: main.p95,
        p99_ms: main.p99,
        max_ms: main.max,
        gateway_cpu_ms_per_event: main.gatewayCpuMsPerEvent,
        simulators_cpu_ms_per_event: main.simsCpuMsPerEvent,
        target_met: main.p95 < P95_LIMIT_MS,
      });
      if (step) {
        let best = main.held ? rate : 0;
        const steps = [1.5, 2, 2.5, 3, 4, 6, 8, 12, 16, 24].map((k) => Math.round(rate * k)).filter((x) => x <= maxRate);
        for (const r of steps) {
          const s = await measure(r, stepSeconds);
          if (!s.held) break;
          best = r;
        }
        figures.max_sustained_rate = best;
        console.log(`maximum sustained rate: ${best} events/s (p95 <= ${P95_LIMIT_MS} ms, nothing left behind)`);
      }
      figures.loadavg_1m_end = Math.round(loadavg()[0]! * 100) / 100;
      const stats = await sims.ask<'stats'>({ type: 'stats' });
      const dl = await deadLetters.countOpen();
      Object.assign(figures, { sne_writes: stats.writes, sne_duplicate_writes: stats.duplicateWrites, sne_refused: stats.refusedWrites, dead_letters: dl, notify_errors: notifyErrors });
      console.log(`SNE simulator: ${stats.writes} writes, ${stats.duplicateWrites} duplicates, ${stats.refusedWrites} refused; dead letters ${dl}; notification errors ${notifyErrors}`);
    } finally {
      await new Promise((r) => server.close(r));
      await pipeline.close(5_000);
      local.close();
      await sne.close();
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (found.length) await redis.unlink(...found);
      } while (cursor !== '0');
      await closeRedis(redis);
      await closeRedis(bull);
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'close' } satisfies ToSims);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      if (child.exitCode === null) child.kill();
    }
    return figures;
  },
};

export default bench;
