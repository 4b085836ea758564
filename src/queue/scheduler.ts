/**
 * The scheduler only ticks (design.md §5): each node-cron tick adds one job whose id is derived from the
 * schedule's name and the tick's nominal time, so two daemons running side by side add the same job id
 * and BullMQ keeps one. Completed tick jobs are kept for a day so that a late duplicate still collides.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Queue } from 'bullmq';
import type { Logger } from '../logging';

export interface Schedule {
  /** Stable name: part of the job id (`radiees`, `dalo`, `dispatchScan`, `localEvents`, `reconcile`). */
  name: string;
  cron: string;
  queue: Queue;
  jobName: string;
  data: Record<string, unknown>;
}

export interface SchedulerOptions {
  schedules: Schedule[];
  timezone?: string;
  logger: Logger;
}

/** The job id of one tick: the same in every process for the same nominal time. */
export function tickJobId(name: string, nominal: Date): string {
  // node-cron's resolution is the second; drop any milliseconds of the clock.
  const t = new Date(Math.floor(nominal.getTime() / 1000) * 1000);
  return `tick.${name}.${t.toISOString().replace(/[:.]/g, '-')}`;
}

export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private started = false;

  constructor(private readonly options: SchedulerOptions) {}

  /** Adds the job for one tick (also used by tests and by `--now` triggers). */
  async tick(schedule: Schedule, nominal: Date): Promise<string> {
    const jobId = tickJobId(schedule.name, nominal);
    await schedule.queue.add(
      schedule.jobName,
      { ...schedule.data, trigger: 'schedule', schedule: schedule.name, tickAt: nominal.toISOString() },
      { jobId, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } },
    );
    return jobId;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.options.schedules) {
      const task = cron.schedule(
        s.cron,
        async (ctx) => {
          try {
            await this.tick(s, ctx.date);
          } catch (e) {
            // A missed tick is retried by the next one; say so once, with the reason.
            this.options.logger.error('scheduled tick could not be enqueued', { schedule: s.name, err: e });
          }
        },
        { name: `passerelle:${s.name}`, timezone: this.options.timezone, noOverlap: true },
      );
      this.tasks.push(task);
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const tasks = this.tasks;
    this.tasks = [];
    await Promise.all(tasks.map(async (t) => { await t.stop(); await t.destroy?.(); }));
  }
}
