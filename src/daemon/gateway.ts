/**
 * The gateway assembled from its configuration: Redis, queues, stores, the systems, the pull sources and
 * the workers, in roles (`scheduler`, `worker`, `web`) that one process runs together or several
 * processes split. Everything is created here and passed down: there is no module singleton.
 *
 * `start()` and `close()` are idempotent and ordered; `close()` has its own deadline
 * (`worker.close()` has none).
 */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createInterfaceNuuCodec, defaultElementTablePath, loadElementTable, type InterfaceNuuCodec } from '../codec';
import type { Config } from '../config';
import { PermanentError, toSafeError } from '../errors';
import type { Logger } from '../logging';
import { Circuit, type CircuitState } from '../queue/circuit';
import { PayloadCipher } from '../queue/crypto';
import { keys as makeKeys, QueueName, type Keys } from '../queue/keys';
import { DemandLocks } from '../queue/locks';
import { assertNoEviction, closeRedis, createRedis, waitForRedis } from '../queue/redis';
import { backoffStrategy, classifiedProcessor, jobDefaults, MAX_STALLED_COUNT, onStalledGiveUp, type FinalFailure, type RetryPolicy } from '../queue/retry';
import { Scheduler, type Schedule } from '../queue/scheduler';
import { timedOut } from '../queue/deadline';
import { ConflictStore } from '../state/conflicts';
import { CursorStore } from '../state/cursors';
import { DeadLetterStore } from '../state/dead-letters';
import { Ledger } from '../state/ledger';
import { QuarantineStore } from '../state/quarantine';
import { RunStore, type Run } from '../state/runs';
import { createDeliverProcessor, type DeliverJobData } from '../sync/deliver';
import type { LocalClient } from '../systems/local';
import { createEventIntakeRouter, createPushPipeline, fixedMappings, pushKeys, redisReplayGuard, replayerOf, watchedMappings, type MappingsSource, type PushPipeline } from '../push';
import { createReconcileProcessor, reportListing, type ReconcileServiceDeps } from '../reconcile';
import { sptaTranslate, type SptaClient } from '../systems/spta';
import { createFragmentParser, type FragmentParser } from '../sync/parse-pool';
import { runPull, type PullSource } from '../sync/pull';
import { createDispatchSource } from '../sync/sources/dispatch';
import { createSinceSource, createTargetedSource, SinceService } from '../sync/sources/since';
import type { DemandSystem } from '../systems/port';
import type { MappingTables } from '../mapping';
import { Operations, type OperationsOptions } from './operations';

export const Role = { scheduler: 'scheduler', worker: 'worker', web: 'web' } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ALL_ROLES: Role[] = [Role.scheduler, Role.worker, Role.web];

/** What a pull job carries. */
export interface PullJobData {
  source: string;
  trigger: string;
  since?: string;
  /** Targeted reads of these demands (source `<system>:demande`). */
  numUniques?: string[];
  runId?: string;
}

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  roles?: readonly Role[];
  /** The local tool's client (tests and the demo may pass their own). */
  local: LocalClient;
  /** The registration systems by id (`sne`, `spta:35`). */
  systems: ReadonlyMap<string, DemandSystem>;
  codec?: InterfaceNuuCodec;
  now?: () => Date;
  /** Called when a circuit changes state (besides the alerts). */
  onCircuitChange?: (target: string, from: CircuitState, to: CircuitState) => void;
  /** Replay, reports and public routes for the web role. */
  operations?: OperationsOptions;
  /** The regulatory mapping tables (push side), validated before anything starts. */
  mappings?: MappingTables;
  /** The folder they were loaded from, watched for corrections (replay takes them). */
  mappingsDir?: string;
}

export class Gateway {
  readonly keys: Keys;
  /** The stores' connection. */
  readonly redis: Redis;
  /** BullMQ's connection (queues and workers). */
  readonly bullRedis: Redis;
  readonly queues: Record<QueueName, Queue>;
  readonly cipher: PayloadCipher;
  readonly ledger: Ledger;
  readonly runs: RunStore;
  readonly cursors: CursorStore;
  readonly quarantine: QuarantineStore;
  readonly deadLetters: DeadLetterStore;
  readonly conflicts: ConflictStore;
  readonly locks: DemandLocks;
  readonly circuit: Circuit;
  readonly codec: InterfaceNuuCodec;
  readonly roles: ReadonlySet<Role>;
  readonly retry: RetryPolicy;
  readonly operations: Operations;
  /** The push pipeline (absent when no mapping tables were given: pull-only tests). */
  readonly push: PushPipeline | undefined;
  private readonly workers: Worker[] = [];
  private parser: FragmentParser | undefined;
  private scheduler: Scheduler | undefined;
  private state: 'new' | 'starting' | 'started' | 'closing' | 'closed' = 'new';
  private closing: Promise<void> | undefined;

  constructor(private readonly options: GatewayOptions) {
    const { config } = options;
    this.roles = new Set(options.roles ?? ALL_ROLES);
    this.keys = makeKeys(config.redis.prefix);
    // Two connections: the stores' (auto-pipelined: many small commands from concurrent jobs) and
    // BullMQ's (its workers duplicate it for their blocking reads).
    this.redis = createRedis({ url: config.redis.url, name: 'passerelle', lazyConnect: true, autoPipelining: true });
    this.bullRedis = createRedis({ url: config.redis.url, name: 'passerelle-queues', lazyConnect: true });
    this.retry = { attempts: config.queues.attempts, baseMs: config.queues.backoff.baseMs, maxMs: config.queues.backoff.maxMs };
    const connection = this.bullRedis;
    const make = (name: QueueName) =>
      new Queue(name, { connection, prefix: this.keys.bull, defaultJobOptions: jobDefaults(this.retry) });
    this.queues = {
      pull: make(QueueName.pull),
      deliver: make(QueueName.deliver),
      maintenance: make(QueueName.maintenance),
    };
    this.cipher = new PayloadCipher(config.crypto.keys, config.crypto.activeKeyId);
    this.ledger = new Ledger(this.redis, this.keys);
    this.runs = new RunStore(this.redis, this.keys, { keep: config.runs.keep, ...(options.now ? { now: options.now } : {}) });
    this.cursors = new CursorStore(this.redis, this.keys, options.now);
    this.quarantine = new QuarantineStore(this.redis, this.keys, options.now);
    this.deadLetters = new DeadLetterStore(this.redis, this.keys, options.now);
    this.conflicts = new ConflictStore(this.redis, this.keys);
    // A demand's lock outlives any write in flight (its timeout), and lapses soon after a crash.
    this.locks = new DemandLocks(this.redis, this.keys, 2 * config.local.timeoutMs + 1_000);
    this.circuit = new Circuit(this.redis, this.keys, {
      failureThreshold: config.queues.circuit.failureThreshold,
      openMs: config.queues.circuit.openMs,
      onChange: (target, from, to) => {
        this.logger.warn('circuit changed', { circuit: target, state: to });
        options.onCircuitChange?.(target, from, to);
        this.operations.onCircuitChange(target, from, to);
      },
    });
    this.codec = options.codec ?? createInterfaceNuuCodec({ elements: loadElementTable() });
    this.push = options.mappings ? this.createPush(options.mappings) : undefined;
    this.operations = new Operations(this, { ...this.webOptions(), ...options.operations });
  }

  /** The push pipeline: one queue and worker per target, the event intake, replay. */
  private createPush(mappings: MappingTables): PushPipeline {
    const { config } = this.options;
    const targets = config.push.targets;
    const rateLimits = new Map<string, { max: number; durationMs: number }>([['sne', config.sne.rateLimit]]);
    for (const s of config.spta) rateLimits.set(`spta:${s.id}`, s.rateLimit);
    return createPushPipeline({
      redis: this.redis,
      bullConnection: this.bullRedis,
      keys: this.keys,
      targets,
      systems: this.options.systems,
      local: this.options.local,
      tables: this.mappingsSource(mappings),
      cipher: this.cipher,
      circuit: this.circuit,
      locks: this.locks,
      deadLetters: this.deadLetters,
      runs: this.runs,
      cursors: this.cursors,
      logger: this.logger,
      retry: this.retry,
      rateLimits,
      concurrency: config.queues.concurrency.push,
      pollMs: config.push.pollMs,
      pageSize: config.local.pageSize,
      radiationIrrecevabilite: config.push.radiationIrrecevabilite,
      translate: (target) => {
        const system = this.options.systems.get(target) as Partial<SptaClient> | undefined;
        return system?.profile ? sptaTranslate(system.profile) : undefined;
      },
      lockDurationMs: config.queues.lockDurationMs,
      stalledIntervalMs: config.queues.stalledIntervalMs,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
  }

  /**
   * The tables as the push side reads them: from `mappings/` when the gateway runs on the shipped folder
   * (a corrected table then takes effect on replay, the old ones kept if the new ones do not load), or
   * fixed (tests).
   */
  private mappingsSource(initial: MappingTables): MappingsSource {
    if (!this.options.mappingsDir) return fixedMappings(initial);
    this.watched ??= watchedMappings({ dir: this.options.mappingsDir, logger: this.logger });
    return this.watched;
  }

  private watched: MappingsSource | undefined;

  /** What the web role serves beyond the stores: the signed event intake, replay, reports. */
  private webOptions(): OperationsOptions {
    const out: OperationsOptions = { ...reportListing(this.options.config) };
    if (!this.push || !this.options.mappings) return out;
    const push = this.push;
    const replayer = replayerOf(this, {
      targets: this.options.config.push.targets,
      tables: this.mappingsSource(this.options.mappings),
      pushQueues: new Map(push.queues),
    });
    out.replayDeadLetter = async (id, who) => {
      const r = await replayer.replayDeadLetter({ id, who });
      return { ok: r.ok, message: r.message };
    };
    out.publicRoutes = [
      {
        path: '/api/evenements',
        router: createEventIntakeRouter({
          hmacSecret: this.options.config.events.hmacSecret,
          toleranceSeconds: this.options.config.events.timestampToleranceSeconds,
          accept: (events) => push.intake.accept(events),
          replayGuard: redisReplayGuard(this.redis, pushKeys(this.keys)),
          logger: this.logger,
        }),
      },
    ];
    return out;
  }

  /** Every queue of this gateway (the dashboard shows them all). */
  get allQueues(): Queue[] {
    return [...Object.values(this.queues), ...(this.push ? [...this.push.queues.values()] : [])];
  }

  /** The local tool's client. */
  get local(): LocalClient {
    return this.options.local;
  }

  /** The registration systems by id. */
  get systems(): ReadonlyMap<string, DemandSystem> {
    return this.options.systems;
  }

  /** Where the web role listens, once started. */
  webUrl: string | undefined;

  /** Ids of the registration systems (`sne`, `spta:35`): push targets and circuit names. */
  get systemIds(): string[] {
    return [...this.options.systems.keys()];
  }

  get config(): Config {
    return this.options.config;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** The pull sources this configuration defines, by id. */
  sources(): Map<string, PullSource> {
    const { config } = this.options;
    const out = new Map<string, PullSource>();
    const overlapMs = config.pull.sinceOverlapMinutes * 60_000;
    for (const system of this.options.systems.values()) {
      if (system.reads === false) continue;
      for (const service of Object.values(SinceService)) {
        const s = createSinceSource({ system, service, overlapMs, pageSize: config.pull.pageSize, ...(this.options.now ? { now: this.options.now } : {}) });
        out.set(s.id, s);
      }
    }
    out.set(
      'dispatch',
      createDispatchSource({
        dropDir: config.dispatch.dropDir,
        doneDir: config.dispatch.doneDir,
        rejectedDir: config.dispatch.rejectedDir,
        stableMs: config.dispatch.stableMs,
        codec: this.codec,
        parser: this.fragmentParser(),
        redis: this.redis,
        keys: this.keys,
        logger: this.logger,
        pageSize: config.pull.pageSize,
      }),
    );
    return out;
  }

  private fragmentParser(): FragmentParser {
    this.parser ??= createFragmentParser({
      threads: this.options.config.pull.parseThreads,
      codec: this.codec,
      workerData: { elementTablePath: defaultElementTablePath },
    });
    return this.parser;
  }

  private sourceFor(data: PullJobData): PullSource {
    if (data.numUniques?.length) {
      const systemId = data.source.replace(/:demande$/, '');
      const system = this.options.systems.get(systemId);
      if (!system) throw new PermanentError('PULL_UNKNOWN_SOURCE', `no system "${systemId}" is configured`, { details: { source: data.source } });
      return createTargetedSource(system, data.numUniques);
    }
    const source = this.sources().get(data.source);
    if (!source) {
      throw new PermanentError('PULL_UNKNOWN_SOURCE', `no pull source "${data.source}" is configured`, {
        details: { source: data.source, known: [...this.sources().keys()] },
      });
    }
    return source;
  }

  /** The run id of a pull job: stable across a crash and a resume of the same job. */
  static runIdOf(job: Pick<Job<PullJobData>, 'id' | 'data'>): string {
    return job.data.runId ?? `run.${job.id ?? randomUUID()}`;
  }

  private async processPull(job: Job<PullJobData>, token?: string): Promise<Run> {
    const source = this.sourceFor(job.data);
    const runId = Gateway.runIdOf(job);
    const r = await this.locks.withRenewedLock('pull', source.id, () =>
      runPull(
        source,
        { runId, trigger: job.data.trigger, ...(job.data.since ? { since: job.data.since } : {}) },
        {
          redis: this.redis,
          ledger: this.ledger,
          runs: this.runs,
          cursors: this.cursors,
          quarantine: this.quarantine,
          cipher: this.cipher,
          conflicts: this.conflicts,
          locks: this.locks,
          local: this.options.local,
          deliverQueue: this.queues.deliver as Queue<DeliverJobData>,
          logger: this.logger.child({ jobId: job.id }),
          maxWaiting: this.options.config.pull.maxWaiting,
          delivery: this.options.config.pull.delivery,
          deliveryConcurrency: this.options.config.pull.deliveryConcurrency,
        },
      ),
    );
    if (!r.locked) {
      // Another pull of the same source is running: this one waits its turn.
      await job.moveToDelayed(Date.now() + 5_000, token);
      const { DelayedError } = await import('bullmq');
      throw new DelayedError();
    }
    await this.redis.hset(this.keys.lastPull, source.id, (this.options.now?.() ?? new Date()).toISOString());
    return r.value;
  }

  /** Adds a pull job now; returns its run id. */
  async triggerPull(data: Omit<PullJobData, 'runId'> & { jobId?: string }): Promise<{ jobId: string; runId: string }> {
    const jobId = data.jobId ?? `pull.${data.source.replace(/:/g, '_')}.${randomUUID()}`;
    const runId = `run.${jobId}`;
    const { jobId: _omit, ...rest } = data;
    await this.queues.pull.add('pull', { ...rest, runId }, { jobId });
    return { jobId, runId };
  }

  /** Waits until a run is finished or failed (deliveries included); polls the run store. */
  async waitForRun(runId: string, options: { timeoutMs?: number; onProgress?: (run: Run) => void } = {}): Promise<Run> {
    const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
    for (;;) {
      const run = await this.runs.get(runId);
      if (run) options.onProgress?.(run);
      if (run && run.status !== 'running') return run;
      if (Date.now() > deadline) {
        throw new PermanentError('RUN_TIMEOUT', `run ${runId} did not finish in time`, { details: { runId } });
      }
      await new Promise((r) => setTimeout(r, 200).unref());
    }
  }

  /** The schedules of the configuration, as tick jobs. */
  schedules(): Schedule[] {
    const s = this.options.config.schedules;
    const out: Schedule[] = [];
    const add = (name: string, cron: string | null, queue: Queue, jobName: string, data: Record<string, unknown>) => {
      if (cron) out.push({ name, cron, queue, jobName, data });
    };
    for (const [system, client] of this.options.systems) {
      if (client.reads === false) continue;
      add(`${system}.radiees`, s.radiees, this.queues.pull, 'pull', { source: `${system}:radiees` });
      add(`${system}.dalo`, s.dalo, this.queues.pull, 'pull', { source: `${system}:dalo` });
    }
    add('dispatchScan', s.dispatchScan, this.queues.pull, 'pull', { source: 'dispatch' });
    add('localEvents', s.localEvents, this.queues.maintenance, 'local-events', {});
    add('reconcile', s.reconcile, this.queues.maintenance, 'reconcile', {});
    return out;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    await waitForRedis(this.redis, this.options.config.redis.url);
    await waitForRedis(this.bullRedis, this.options.config.redis.url);
    await assertNoEviction(this.redis);
    if (this.roles.has(Role.worker)) {
      this.startWorkers();
      this.operations.startHeartbeat();
    }
    if (this.roles.has(Role.scheduler)) {
      this.scheduler = new Scheduler({
        schedules: this.schedules(),
        timezone: this.options.config.schedules.timezone,
        logger: this.logger,
      });
      this.scheduler.start();
      this.operations.startAlerts();
    }
    if (this.roles.has(Role.web)) this.webUrl = (await this.operations.startWeb()).url;
    this.state = 'started';
    this.logger.info('gateway started', { role: [...this.roles].join(',') });
  }

  private worker<T>(
    name: string,
    concurrency: number,
    processor: (job: Job<T>, token?: string) => Promise<unknown>,
    onFinalFailure?: (failure: FinalFailure) => Promise<void>,
  ): Worker {
    const w = new Worker<T>(name, processor, {
      connection: this.bullRedis,
      prefix: this.keys.bull,
      concurrency,
      settings: { backoffStrategy: backoffStrategy(this.retry) },
      // A crash is no reason to fail a job: see MAX_STALLED_COUNT.
      stalledInterval: this.options.config.queues.stalledIntervalMs,
      lockDuration: this.options.config.queues.lockDurationMs,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    // BullMQ reports connection and processing errors here; without a listener Node would crash.
    w.on('error', (e) => this.logger.warn('worker error', { queue: name, err: e }));
    if (onFinalFailure) onStalledGiveUp(w, onFinalFailure, this.logger, name);
    this.workers.push(w);
    return w;
  }

  private startWorkers(): void {
    const { config } = this.options;
    // The parsing threads load the codec now, not when the first pull is already waiting for them.
    this.fragmentParser();
    this.push?.start({ intakeLoop: true });
    this.startMaintenance();
    const deliver = createDeliverProcessor({
      local: this.options.local,
      ledger: this.ledger,
      runs: this.runs,
      conflicts: this.conflicts,
      deadLetters: this.deadLetters,
      cipher: this.cipher,
      locks: this.locks,
      logger: this.logger,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.worker<DeliverJobData>(
      QueueName.deliver,
      config.queues.concurrency.deliver,
      classifiedProcessor(deliver.process, deliver.onFinalFailure),
      deliver.onFinalFailure,
    );
    // A pull's run fails when its job finally fails (last attempt, an error retrying cannot help, or
    // stalled for good), not on an attempt the queue retries: runPull leaves the run running then.
    const pullFailed = async ({ job, error }: FinalFailure): Promise<void> => {
      const safe = toSafeError(error);
      const runId = Gateway.runIdOf(job as Job<PullJobData>);
      this.logger.error('pull failed', { jobId: job.id, runId, err: error });
      await this.runs.fail(runId, `${safe.errorClass} ${safe.code}: ${safe.message}`).catch((e: unknown) => {
        this.logger.error('could not mark the run of a failed pull as failed', { jobId: job.id, runId, err: e });
      });
    };
    this.worker<PullJobData>(
      QueueName.pull,
      config.queues.concurrency.pull,
      classifiedProcessor<PullJobData, Run>((job) => this.processPull(job), pullFailed),
      pullFailed,
    );
  }

  /** Workers currently running in this process (for readiness and metrics). */
  get activeWorkers(): readonly Worker[] {
    return [...this.workers, ...(this.push && this.roles.has(Role.worker) ? this.push.workers : [])];
  }

  /** What a reconciliation reads, from this gateway's stores, clients and tables. */
  reconcileDeps(overrides: Partial<ReconcileServiceDeps> = {}): ReconcileServiceDeps {
    return {
      config: this.options.config,
      redis: this.redis,
      bullRedis: this.bullRedis,
      keys: this.keys,
      ledger: this.ledger,
      deadLetters: this.deadLetters,
      quarantine: this.quarantine,
      conflicts: this.conflicts,
      runs: this.runs,
      codec: this.codec,
      logger: this.logger,
      queues: { pull: this.queues.pull, deliver: this.queues.deliver },
      local: this.options.local,
      systems: this.options.systems,
      ...(this.options.mappings ? { tables: this.options.mappings } : {}),
      ...overrides,
    };
  }

  /** The maintenance queue: the local events tick and the nightly reconciliation. */
  private startMaintenance(): void {
    const reconcile = createReconcileProcessor(this.reconcileDeps());
    this.worker<Record<string, unknown>>(
      QueueName.maintenance,
      1,
      classifiedProcessor<Record<string, unknown>, unknown>(
        async (job) => {
          if (job.name === 'local-events') return this.push ? this.push.intake.followOnce() : { skipped: 'no push pipeline' };
          if (job.name === 'reconcile') return reconcile(job as Parameters<typeof reconcile>[0]);
          throw new PermanentError('MAINTENANCE_UNKNOWN_JOB', `no maintenance job named "${job.name}"`);
        },
        async ({ job, error }) => {
          this.logger.error('maintenance job failed', { jobId: job.id, err: error });
        },
      ),
    );
  }

  /** Stops the schedulers, lets active jobs finish within the deadline, then closes queues and Redis. */
  async close(deadlineMs = this.options.config.queues.shutdownDeadlineMs): Promise<void> {
    if (this.state === 'closed') return;
    if (this.closing) return this.closing;
    this.state = 'closing';
    this.closing = (async () => {
      await this.scheduler?.stop();
      await this.operations.close();
      // Our workers and the push side's stop together, within the one deadline.
      const late = await timedOut(Promise.all([...this.workers.map((w) => w.close()), this.push?.close(deadlineMs)]), deadlineMs);
      if (late) {
        // Active jobs that did not finish are handed back: their locks lapse and another worker
        // (or this one after a restart) takes them again; the ledger makes the redo harmless.
        // `worker.close(true)` cannot do it: after a `close()` BullMQ returns the first call's promise,
        // which waits for the jobs. So the jobs are cut off as by a crash, connections first, so that
        // nothing they do from now on (a failure of the cut-off job, a half-step) reaches Redis.
        this.logger.warn('shutdown deadline reached: handing back active jobs', { durationMs: deadlineMs });
        this.bullRedis.disconnect();
        this.redis.disconnect();
      }
      await this.parser?.close();
      await Promise.all(Object.values(this.queues).map((q) => q.close().catch(() => undefined)));
      this.options.local.close?.();
      await Promise.all([...this.options.systems.values()].map((s) => s.close()));
      await closeRedis(this.redis);
      await closeRedis(this.bullRedis);
      this.state = 'closed';
    })();
    return this.closing;
  }
}

export { QueueEvents };
