/**
 * The push pipeline assembled: one queue and one worker per target (so each target's rate limit
 * applies), the intake (feed follower loop and `accept` for the HMAC endpoint), and their shared state.
 * Everything comes in through the options; `start()` and `close()` are idempotent, and `close()` has a
 * deadline of its own (`worker.close()` has none).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { PermanentError } from '../errors';
import type { Logger } from '../logging';
import type { Circuit } from '../queue/circuit';
import type { PayloadCipher } from '../queue/crypto';
import type { Keys } from '../queue/keys';
import type { DemandLocks } from '../queue/locks';
import { backoffStrategy, jobDefaults, MAX_STALLED_COUNT, onStalledGiveUp, type RetryPolicy } from '../queue/retry';
import type { CursorStore } from '../state/cursors';
import type { DeadLetterStore } from '../state/dead-letters';
import type { RunStore } from '../state/runs';
import type { LocalClient } from '../systems/local';
import type { DemandSystem } from '../systems/port';
import { createEventIntake, type EventIntake } from './intake';
import { PushRuns, type PushJobData } from './jobs';
import { pushKeys, pushQueueName, type Target } from './keys';
import type { MappingsSource } from './mappings';
import { createPushProcessor, type PushProcessor, type PushResult, type PushTranslate } from './processor';
import { PushState, type FollowUpMode } from './state';
import { timedOut } from '../queue/deadline';

export interface RateLimit {
  max: number;
  durationMs: number;
}

export interface PushPipelineOptions {
  /** The stores' connection (order, idempotency, runs, cursors). */
  redis: Redis;
  /** BullMQ's connection for the queues and workers (default `redis`; BullMQ duplicates it to block). */
  bullConnection?: Redis;
  keys: Keys;
  /** Where every event goes (`push.targets`, default `['sne']`). */
  targets: readonly Target[];
  /** The registration systems by id (`sne`, `spta:35`): one per target. */
  systems: ReadonlyMap<string, DemandSystem>;
  local: Pick<LocalClient, 'listEvenements' | 'acknowledge' | 'getDemande' | 'listAcquittements'>;
  tables: MappingsSource;
  cipher: PayloadCipher;
  circuit: Circuit;
  locks: DemandLocks;
  deadLetters: DeadLetterStore;
  runs: RunStore;
  cursors: CursorStore;
  logger: Logger;
  retry: RetryPolicy;
  /** Per target: the worker's limiter (`sne.rateLimit`, `spta[i].rateLimit`). */
  rateLimits?: ReadonlyMap<Target, RateLimit>;
  /** Jobs at once per target (`queues.concurrency.push`, default 4). */
  concurrency?: number;
  /** Intake loop period (default 1000 ms) and feed page size (default 500). */
  pollMs?: number;
  pageSize?: number;
  radiationIrrecevabilite?: FollowUpMode;
  /** Mapping per target (default: the SNE mapping; an SPTA applies its profile on top). */
  translate?: (target: Target) => PushTranslate | undefined;
  now?: () => Date;
  /** Waits behind a demand's earlier events (see the processor). */
  wait?: { baseMs: number; maxMs: number };
  /** Worker lock and stall detection (defaults: 30 s and 15 s, as the other workers). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export interface PushPipeline {
  readonly queues: ReadonlyMap<Target, Queue<PushJobData>>;
  readonly state: PushState;
  readonly intake: EventIntake;
  readonly processors: ReadonlyMap<Target, PushProcessor>;
  readonly workers: readonly Worker[];
  /** Starts the workers (one per target) and, unless `intakeLoop: false`, the feed follower loop. */
  start(options?: { intakeLoop?: boolean }): void;
  /** Stops the loop, lets active jobs finish within the deadline, then closes the queues. */
  close(deadlineMs?: number): Promise<void>;
}

export function createPushPipeline(options: PushPipelineOptions): PushPipeline {
  const now = options.now ?? (() => new Date());
  const pk = pushKeys(options.keys);
  const state = new PushState(options.redis, pk);
  const runs = new PushRuns(options.redis, options.keys, pk, options.runs, now);
  const queues = new Map<Target, Queue<PushJobData>>();
  const processors = new Map<Target, PushProcessor>();
  for (const target of options.targets) {
    const system = options.systems.get(target);
    if (!system) throw new PermanentError('PUSH_TARGET_UNKNOWN', `push target "${target}" has no configured system`, { details: { target } });
    const queue = new Queue<PushJobData>(pushQueueName(target), {
      connection: options.bullConnection ?? options.redis,
      prefix: options.keys.bull,
      defaultJobOptions: jobDefaults(options.retry),
    });
    queues.set(target, queue);
    const translate = options.translate?.(target);
    processors.set(
      target,
      createPushProcessor({
        target,
        system,
        local: options.local,
        tables: options.tables,
        state,
        queue,
        cipher: options.cipher,
        circuit: options.circuit,
        locks: options.locks,
        deadLetters: options.deadLetters,
        runs: options.runs,
        logger: options.logger,
        now,
        ...(options.radiationIrrecevabilite ? { radiationIrrecevabilite: options.radiationIrrecevabilite } : {}),
        ...(translate ? { translate } : {}),
        ...(options.wait ? { wait: options.wait } : {}),
      }),
    );
  }
  const intake = createEventIntake({
    local: options.local,
    tables: options.tables,
    targets: options.targets,
    queues,
    redis: options.redis,
    state,
    runs,
    runStore: options.runs,
    cursors: options.cursors,
    deadLetters: options.deadLetters,
    cipher: options.cipher,
    locks: options.locks,
    logger: options.logger,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    now,
  });

  const workers: Worker[] = [];
  let started = false;
  let closing: Promise<void> | undefined;

  return {
    queues,
    state,
    intake,
    processors,
    workers,
    start(startOptions = {}) {
      if (started || closing) return;
      started = true;
      for (const [target, p] of processors) {
        const limit = options.rateLimits?.get(target);
        const w = new Worker<PushJobData, PushResult>(pushQueueName(target), (job: Job<PushJobData>) => p.processor(job), {
          connection: options.bullConnection ?? options.redis,
          prefix: options.keys.bull,
          concurrency: options.concurrency ?? 4,
          settings: { backoffStrategy: backoffStrategy(options.retry) },
          stalledInterval: options.stalledIntervalMs ?? 15_000,
          lockDuration: options.lockDurationMs ?? 30_000,
          // An event whose worker died mid-send is retried (idempotency makes it harmless); one that
          // keeps killing its worker ends as a dead letter, acknowledged, instead of silently failed.
          maxStalledCount: MAX_STALLED_COUNT,
          ...(limit ? { limiter: { max: limit.max, duration: limit.durationMs } } : {}),
        });
        // BullMQ reports connection and processing errors here; without a listener Node would crash.
        w.on('error', (e) => options.logger.warn('push worker error', { target, queue: pushQueueName(target), err: e }));
        onStalledGiveUp(w, p.onFinalFailure, options.logger, target);
        workers.push(w);
      }
      if (startOptions.intakeLoop !== false) intake.start();
    },
    close(deadlineMs = 30_000) {
      closing ??= (async () => {
        await intake.stop();
        if (await timedOut(Promise.all(workers.map((w) => w.close())), deadlineMs)) {
          // Active jobs are handed back: the caller cuts the connections (a second `close(true)` would
          // wait like the first), their locks lapse and they run again; idempotency makes it harmless.
          options.logger.warn('push shutdown deadline reached: handing back active jobs', { durationMs: deadlineMs });
          return;
        }
        await Promise.all([...queues.values()].map((q) => q.close().catch(() => undefined)));
      })();
      return closing;
    },
  };
}
