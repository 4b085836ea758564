/**
 * Prometheus metrics (prom-client), in a registry of their own (no global default registry):
 * - fed by events: jobs by queue and outcome, job durations (from the workers), runs and their counts
 *   (`recordRun`, called by the lead when a run ends);
 * - read at scrape time: queue depth per state, open dead letters, quarantine and conflicts, cursor lag,
 *   circuit state per target, Redis connection state.
 *
 * Labels carry queue names, sources, targets, states and error classes only: never a numéro unique or any
 * value of a demand (personal data, and unbounded cardinality).
 */
import type { Queue, Worker } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { classOf } from '../errors';
import type { Circuit } from '../queue/circuit';
import type { ConflictStore } from '../state/conflicts';
import type { CursorStore } from '../state/cursors';
import type { DeadLetterStore } from '../state/dead-letters';
import type { QuarantineStore } from '../state/quarantine';
import type { Run } from '../state/runs';

/** Circuit state as a number: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The BullMQ job states reported as queue depth. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

export interface MetricsOptions {
  queues: readonly Queue[];
  stores: {
    deadLetters?: Pick<DeadLetterStore, 'countOpen'>;
    cursors?: Pick<CursorStore, 'list'>;
    quarantine?: Pick<QuarantineStore, 'count'>;
    conflicts?: Pick<ConflictStore, 'count'>;
  };
  circuit?: Pick<Circuit, 'state'>;
  /** Targets whose circuit is reported (`sne`, `spta:35`, `local`). */
  circuitTargets?: readonly string[];
  /** Seconds a source's cursor may stay still before `passerelle_cursor_overdue` says 1. */
  cursorsExpectedIntervals?: Readonly<Record<string, number>>;
  /** The connection whose state is reported (`status === 'ready'`). */
  redis?: { readonly status: string };
  /** A registry to fill; a new one by default. */
  registry?: Registry;
  /** Deadline of each scrape-time reading (Redis may be down); 2 s by default. */
  scrapeTimeoutMs?: number;
  /** Node process metrics (CPU, memory, event loop) with the `passerelle_` prefix; true by default. */
  processMetrics?: boolean;
  now?: () => number;
}

export interface Metrics {
  registry: Registry;
  /** Counts a worker's completed and failed jobs and their durations; returns a function that stops it. */
  observeWorker<D, R>(worker: Worker<D, R>): () => void;
  /** Records one job outcome (for work that does not run in a BullMQ worker). */
  recordJob(queue: string, outcome: 'completed' | 'failed', durationSeconds?: number, error?: unknown): void;
  /** Records a run that ended (finished or failed), once per run id. */
  recordRun(run: Run): void;
}

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Creates the gateway's metrics in `options.registry` (or a new registry). */
export function createMetrics(o: MetricsOptions): Metrics {
  const registry = o.registry ?? new Registry();
  const registers = [registry];
  const now = o.now ?? Date.now;
  if (o.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'passerelle_' });

  // Registered last (below) with a collect that waits for this scrape's readings, so that a failure
  // shows in the same scrape: prom-client starts every collector before serializing any of them.
  const readings = new Set<Promise<unknown>>();
  const scrapeErrors = new Counter({
    name: 'passerelle_metrics_scrape_errors_total',
    help: 'Scrape-time readings that failed or timed out (their gauges are empty, or NaN without labels, for that scrape).',
    labelNames: ['collector'],
    registers: [],
    async collect() {
      await Promise.allSettled([...readings]);
    },
  });
  /** A failing collector (Redis down) must not fail the whole scrape: `redis_up` still has to say 0. */
  const scrapeTimeoutMs = o.scrapeTimeoutMs ?? 2000;
  // Redis commands wait for a reconnection (maxRetriesPerRequest: null): without a deadline a scrape
  // during an outage would hang instead of saying `passerelle_redis_up 0`.
  const guarded = (name: string, fill: (gauge: Gauge) => Promise<void>, labelless = false) =>
    function collect(this: Gauge): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const reading = Promise.race([
        fill(this),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('scrape deadline')), scrapeTimeoutMs);
          timer.unref();
        }),
      ])
        .catch(() => {
          this.reset();
          // A gauge without labels cannot be absent: NaN says "unknown" where 0 would lie.
          if (labelless) this.set(NaN);
          scrapeErrors.inc({ collector: name });
        })
        .finally(() => {
          clearTimeout(timer);
          readings.delete(reading);
        });
      readings.add(reading);
      return reading;
    };

  const jobs = new Counter({
    name: 'passerelle_jobs_total',
    help: 'Job attempts by queue and outcome (a retried job counts each failed attempt).',
    labelNames: ['queue', 'outcome', 'error_class'],
    registers,
  });
  const durations = new Histogram({
    name: 'passerelle_job_duration_seconds',
    help: 'Time from a job attempt start to its end.',
    labelNames: ['queue', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: 'passerelle_runs_total',
    help: 'Runs that ended, by kind, source and status.',
    labelNames: ['kind', 'source', 'status'],
    registers,
  });
  const runRecords = new Counter({
    name: 'passerelle_run_records_total',
    help: 'Records counted by ended runs: fetched, valid, quarantined, unchanged, changed, delivered, conflicts, failed.',
    labelNames: ['kind', 'source', 'counter'],
    registers,
  });
  const runLast = new Gauge({
    name: 'passerelle_run_last_end_timestamp_seconds',
    help: 'When the last run of a kind and source ended (Unix time).',
    labelNames: ['kind', 'source', 'status'],
    registers,
  });

  new Gauge({
    name: 'passerelle_queue_jobs',
    help: 'Jobs in each queue by state.',
    labelNames: ['queue', 'state'],
    registers,
    collect: guarded('queue_jobs', async (depth) => {
      const counts = await Promise.all(o.queues.map(async (q) => [q.name, await q.getJobCounts(...QUEUE_STATES)] as const));
      depth.reset();
      for (const [queue, c] of counts) for (const state of QUEUE_STATES) depth.set({ queue, state }, c[state] ?? 0);
    }),
  });

  /** A count read at scrape time; registered only when its store is given (0 would claim a reading). */
  const count = (name: string, help: string, collector: string, read: (() => Promise<number>) | undefined): void => {
    if (!read) return;
    new Gauge({
      name,
      help,
      registers,
      collect: guarded(collector, async (g) => g.set(await read()), true),
    });
  };
  const { deadLetters, quarantine, conflicts } = o.stores;
  count('passerelle_dead_letters_open', 'Dead letters waiting for an operator.', 'dead_letters', deadLetters && (() => deadLetters.countOpen()));
  count('passerelle_quarantine_entries', 'Records in quarantine.', 'quarantine', quarantine && (() => quarantine.count()));
  count(
    'passerelle_conflicts',
    'Demands not overwritten because the target changed them (open conflicts).',
    'conflicts',
    conflicts && (() => conflicts.count()),
  );

  /** Seconds since each cursor moved (each gauge reads for itself: prom-client collects them concurrently). */
  const cursorLags = async (): Promise<Array<{ source: string; seconds: number }>> => {
    if (!o.stores.cursors) return [];
    const list = await o.stores.cursors.list();
    const t = now();
    return list.map((c) => ({ source: c.source, seconds: Math.max(0, (t - Date.parse(c.updatedAt)) / 1000) }));
  };
  new Gauge({
    name: 'passerelle_cursor_lag_seconds',
    help: 'Seconds since the cursor of each source last moved.',
    labelNames: ['source'],
    registers,
    collect: guarded('cursors', async (lag) => {
      const lags = await cursorLags();
      lag.reset();
      for (const c of lags) lag.set({ source: c.source }, c.seconds);
    }),
  });
  new Gauge({
    name: 'passerelle_cursor_overdue',
    help: 'Cursor of a source older than its expected interval (1) or not (0).',
    labelNames: ['source'],
    registers,
    collect: guarded('cursors', async (overdue) => {
      const lags = await cursorLags();
      overdue.reset();
      for (const c of lags) {
        const expected = o.cursorsExpectedIntervals?.[c.source];
        if (expected !== undefined) overdue.set({ source: c.source }, c.seconds > expected ? 1 : 0);
      }
    }),
  });

  new Gauge({
    name: 'passerelle_circuit_state',
    help: 'Circuit of each target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['target'],
    registers,
    collect: guarded('circuits', async (circuitState) => {
      const circuit = o.circuit;
      if (!circuit) return;
      const states = await Promise.all((o.circuitTargets ?? []).map(async (t) => [t, await circuit.state(t)] as const));
      for (const [target, state] of states) circuitState.set({ target }, CIRCUIT_STATE_VALUE[state]);
    }),
  });

  new Gauge({
    name: 'passerelle_redis_up',
    help: 'Redis connection ready (1) or not (0).',
    registers,
    collect() {
      this.set(o.redis?.status === 'ready' ? 1 : 0);
    },
  });

  registry.registerMetric(scrapeErrors);

  const recordJob: Metrics['recordJob'] = (queue, outcome, durationSeconds, error) => {
    jobs.inc({ queue, outcome, error_class: outcome === 'failed' ? classOf(error) : '' });
    if (durationSeconds !== undefined && durationSeconds >= 0) durations.observe({ queue, outcome }, durationSeconds);
  };

  const seenRuns = new Set<string>();
  const recordRun = (run: Run): void => {
    if (run.status === 'running' || seenRuns.has(run.id)) return;
    if (seenRuns.size >= 10_000) seenRuns.clear(); // a run is recorded when it ends: old ids never come back
    seenRuns.add(run.id);
    const base = { kind: run.kind, source: run.source };
    runs.inc({ ...base, status: run.status });
    for (const [counter, n] of Object.entries(run.counts)) if (n > 0) runRecords.inc({ ...base, counter }, n);
    const end = Date.parse(run.finishedAt ?? '');
    runLast.set({ ...base, status: run.status }, (Number.isNaN(end) ? now() : end) / 1000);
  };

  const observeWorker = <D, R>(worker: Worker<D, R>): (() => void) => {
    const queue = worker.name;
    const seconds = (job: { processedOn?: number; finishedOn?: number } | undefined): number | undefined =>
      job?.processedOn !== undefined && job.finishedOn !== undefined ? (job.finishedOn - job.processedOn) / 1000 : undefined;
    const onCompleted = (job: { processedOn?: number; finishedOn?: number }) => recordJob(queue, 'completed', seconds(job));
    const onFailed = (job: { processedOn?: number; finishedOn?: number } | undefined, error: Error) =>
      recordJob(queue, 'failed', seconds(job), error);
    worker.on('completed', onCompleted);
    worker.on('failed', onFailed);
    return () => {
      worker.off('completed', onCompleted);
      worker.off('failed', onFailed);
    };
  };

  return { registry, observeWorker, recordJob, recordRun };
}
