/**
 * What a push job carries, and the runs push jobs are counted in.
 *
 * A push job holds identifiers and the local tool's event **sealed** (design.md §3.6): the event is
 * mapped again when the job runs, so a corrected table takes effect for a retry or a replay.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Keys } from '../queue/keys';
import type { RunStore } from '../state/runs';
import type { PushKeys, Target } from './keys';

export const PushJobName = { event: 'event', followUp: 'follow-up' } as const;
export type PushJobName = (typeof PushJobName)[keyof typeof PushJobName];

export interface PushJobData {
  target: Target;
  eventId: string;
  numUnique: string;
  /** Position in the local tool's feed: the order of the demand's events. */
  seq: number;
  /** Event type (a code, for the dashboard). */
  type: string;
  /** The run the job is counted in (absent for replays and follow-ups). */
  runId?: string;
  /** The original event as the local tool gave it, sealed. Absent for a follow-up. */
  sealed?: string;
  /** Replay number (`replay-<n>`): the tables are checked for changes before mapping. */
  replay?: number;
  /** A radiation due after a decision: sent on its due date, in the demand's order. */
  followUp?: { of: string; motif: 'RADIRR'; sousMotif: string; dueDate: string };
  /** How many times the job waited for its demand's earlier events (its next wait grows). */
  waits?: number;
  /** The acknowledgement `retrying` was sent for this job (sent once, not at every retry). */
  retryingAcked?: boolean;
}

/** UTC day of a date (`2026-03-02`): push runs are per target and per day. */
const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

/** The run of a target's pushes of one day: `run.push.sne.2026-03-02`. */
export function pushRunId(target: Target, at: Date): string {
  return `run.push.${target.replace(/:/g, '_')}.${dayOf(at)}`;
}

/**
 * Push runs: one per target and per day (events arrive one by one all day long; a run per poll would
 * flood the run list). The first intake of a day starts the day's run and marks the previous one's
 * intake done, so that it finishes when its last job settles.
 */
export class PushRuns {
  private readonly known = new Map<Target, string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly pushKeys: PushKeys,
    private readonly runs: RunStore,
    private readonly now: () => Date,
  ) {}

  /** The run that counts what is taken in now for `target`. */
  async current(target: Target): Promise<string> {
    const runId = pushRunId(target, this.now());
    if (this.known.get(target) === runId) return runId;
    await this.runs.start({ id: runId, kind: 'push', source: `push:${target}`, trigger: 'local-events' });
    const previous = await this.redis.hget(this.pushKeys.currentRuns, target);
    // Day ids sort as dates: a process whose clock lags behind never moves the current run back.
    if (previous === null || previous < runId) {
      await this.redis.hset(this.pushKeys.currentRuns, target, runId);
      if (previous !== null) await this.runs.intakeDone(previous);
    }
    this.known.set(target, runId);
    return runId;
  }

  /** The Redis hash of a run (its counters move in the intake's transaction). */
  runKey(runId: string): string {
    return this.keys.run(runId);
  }
}

/**
 * Starts a waiting job now, if it waits in the delayed set (it would otherwise wait its delay out).
 * Nothing happens when the job is gone or not delayed.
 */
export async function promoteIfDelayed(queue: Queue<PushJobData>, jobId: string): Promise<boolean> {
  const job = await queue.getJob(jobId);
  if (!job || !(await job.isDelayed())) return false;
  try {
    await job.promote();
    return true;
  } catch (e) {
    // It left the delayed set meanwhile (its own delay ran out): nothing to do.
    if (await job.isDelayed()) throw e;
    return false;
  }
}
