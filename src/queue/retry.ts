/**
 * Retry policy for every queue: exponential backoff with full jitter, never sooner than a `Retry-After`
 * the target asked for; only transient errors are retried (the processor wrapper turns the others into
 * BullMQ's UnrecoverableError).
 */
import { DelayedError, UnrecoverableError, WaitingError, type Job, type Worker } from 'bullmq';
import { classOf, ErrorClass, isGatewayError, PermanentError, toSafeError, type GatewayError } from '../errors';
import type { Logger } from '../logging';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 8, baseMs: 1_000, maxMs: 5 * 60_000 };

/** Delay before retry number `attemptsMade` (1 = first retry). */
export function backoffDelay(
  attemptsMade: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  err?: unknown,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  const asked = isGatewayError(err) && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 0;
  return Math.max(jittered, asked);
}

/** BullMQ `settings.backoffStrategy` for a worker. */
export function backoffStrategy(policy: RetryPolicy, random?: () => number) {
  return (attemptsMade: number, _type?: string, err?: Error): number => backoffDelay(attemptsMade, policy, err, random);
}

/** Job options every queue shares: retries with our strategy, bounded history. */
export function jobDefaults(policy: RetryPolicy) {
  return {
    attempts: policy.attempts,
    backoff: { type: 'custom' },
    removeOnComplete: { count: 1_000 },
    removeOnFail: { count: 10_000 },
  } as const;
}

export interface FinalFailure {
  job: Job;
  error: GatewayError | Error;
  errorClass: ErrorClass;
}

/**
 * Wraps a processor: transient errors are rethrown for BullMQ to retry; permanent and ambiguous ones
 * (and transient ones on the last attempt) go to `onFinalFailure` (dead letter, acknowledgement...) and
 * end the job without retry. Never swallows an error: the job fails visibly in the dashboard.
 */
export function classifiedProcessor<T, R>(
  process: (job: Job<T>) => Promise<R>,
  onFinalFailure: (failure: FinalFailure) => Promise<void>,
): (job: Job<T>) => Promise<R> {
  return async (job) => {
    try {
      return await process(job);
    } catch (e) {
      // BullMQ's own control flow (a job moved to delayed or waiting on purpose) is not a failure.
      if (e instanceof DelayedError || e instanceof WaitingError) throw e;
      const errorClass = classOf(e);
      const attempts = job.opts.attempts ?? 1;
      const last = job.attemptsMade + 1 >= attempts;
      if (errorClass === ErrorClass.transient && !last) throw e;
      await onFinalFailure({ job: job as Job, error: e instanceof Error ? e : new Error(String(e)), errorClass });
      const safe = toSafeError(e);
      throw new UnrecoverableError(`${safe.errorClass} ${safe.code}: ${safe.message}`);
    }
  };
}

/**
 * Crashes a job may go through before it is given up. A job whose worker died (kill -9) goes back to
 * the queue once its lock lapses; our jobs resume (pulls from their cursor) or are idempotent
 * (deliveries, pushes), so a crash is no reason to fail them (BullMQ's default is 1).
 */
export const MAX_STALLED_COUNT = 20;

/**
 * A job that stalled `MAX_STALLED_COUNT` times is failed by BullMQ itself, outside the processor: route
 * it through `onFinalFailure` (dead letter, acknowledgement) like any other final failure, so that it
 * is never left failed with nobody told.
 */
export function onStalledGiveUp(worker: Worker, onFinalFailure: (failure: FinalFailure) => Promise<void>, logger: Logger, system: string): void {
  worker.on('failed', (job, err) => {
    if (!job || !/stalled/i.test(err.message)) return;
    const error = new PermanentError('JOB_STALLED', `the job stalled ${MAX_STALLED_COUNT} times (its worker stopped each time)`, { system });
    onFinalFailure({ job: job as Job, error, errorClass: ErrorClass.permanent }).catch((e: unknown) =>
      logger.error('could not record a stalled job as a dead letter', { queue: worker.name, jobId: job.id, err: e }),
    );
  });
}
