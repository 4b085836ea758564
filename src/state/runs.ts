/**
 * Run accounting (design.md §3.7): every run counts, per source, what it fetched, what was valid,
 * quarantined, unchanged, changed, and what became of each change (delivered, conflict, failed).
 *
 * Intake counters move in the same MULTI as the cursor (so a replayed page is not counted twice), and
 * each delivery settles once per job id (a retried job is not counted twice). The run finishes when its
 * intake is done and every change has settled; exactly one caller sees that moment (Lua) and logs it.
 *
 * A pull whose attempt failed and is retried (or restarted after a crash) keeps its run: the failed
 * attempt is noted on it, and it fails only when its job finally does. The resumed attempt reads again
 * what no cursor covers yet: the counts of those pages are kept apart and taken back first (`resume`).
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from '../queue/keys';
import { execOrThrow } from '../queue/redis';

export const RunStatus = { running: 'running', finished: 'finished', failed: 'failed' } as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const intakeCounters = ['fetched', 'valid', 'quarantined', 'unchanged', 'changed'] as const;
export const outcomeCounters = ['delivered', 'conflicts', 'failed'] as const;
export type IntakeCounter = (typeof intakeCounters)[number];
export type Outcome = (typeof outcomeCounters)[number];
export type RunCounts = Record<IntakeCounter | Outcome, number>;
const allCounters = [...intakeCounters, ...outcomeCounters];

export interface Run {
  id: string;
  kind: string;
  source: string;
  trigger: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  intakeDone: boolean;
  counts: RunCounts;
  /** Safe error summary when the run failed (class, code, message). */
  error?: string;
  /** Attempts of the run's job that failed (a run that finished after retries shows them). */
  failedAttempts?: number;
  /** The error of the last failed attempt, same form as `error`. */
  lastError?: string;
}

/** Hash field keeping apart the counts of pages a resumed attempt reads again. */
const reread = (counter: string) => `reread.${counter}`;

// KEYS: run hash, its settled-job set. ARGV: job id ('' = only re-check the end), outcome, now.
const SETTLE = `
if ARGV[1] ~= '' then
  local added = redis.call('SADD', KEYS[2], ARGV[1])
  if added == 1 then redis.call('HINCRBY', KEYS[1], ARGV[2], 1) end
end
local st = redis.call('HMGET', KEYS[1], 'status', 'intakeDone', 'changed', 'delivered', 'conflicts', 'failed')
if st[1] ~= 'running' or st[2] ~= '1' then return 0 end
local settled = tonumber(st[4] or '0') + tonumber(st[5] or '0') + tonumber(st[6] or '0')
if settled >= tonumber(st[3] or '0') then
  redis.call('HSET', KEYS[1], 'status', 'finished', 'finishedAt', ARGV[3])
  redis.call('DEL', KEYS[2])
  return 1
end
return 0`;

// KEYS: run hash. ARGV: the counters. Takes back the counts kept apart for pages read again; returns
// the run's own last cursor.
const RESUME = `
for _, c in ipairs(ARGV) do
  local n = redis.call('HGET', KEYS[1], 'reread.' .. c)
  if n then
    redis.call('HINCRBY', KEYS[1], c, -tonumber(n))
    redis.call('HDEL', KEYS[1], 'reread.' .. c)
  end
end
return redis.call('HGET', KEYS[1], 'cursor')`;

// KEYS: run hash. ARGV: now, error. Only a running run fails (a finished one stays finished).
const FAIL = `
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'failed', 'finishedAt', ARGV[1], 'error', ARGV[2])
return 1`;

type Scripts = {
  passerelleSettle: (...a: string[]) => Promise<number>;
  passerelleResume: (...a: string[]) => Promise<string | null>;
  passerelleFail: (...a: string[]) => Promise<number>;
};

export interface RunStoreOptions {
  keep?: number;
  now?: () => Date;
}

export class RunStore {
  private readonly keep: number;
  private readonly now: () => Date;

  constructor(private readonly redis: Redis, private readonly keys: Keys, options: RunStoreOptions = {}) {
    this.keep = options.keep ?? 200;
    this.now = options.now ?? (() => new Date());
    redis.defineCommand('passerelleSettle', { numberOfKeys: 2, lua: SETTLE });
    redis.defineCommand('passerelleResume', { numberOfKeys: 1, lua: RESUME });
    redis.defineCommand('passerelleFail', { numberOfKeys: 1, lua: FAIL });
  }

  private get scripts(): Scripts {
    return this.redis as Redis & Scripts;
  }

  /** Starts a run (or returns it unchanged when it exists: a resumed job keeps its run). */
  async start(run: { id: string; kind: string; source: string; trigger: string }): Promise<Run> {
    const key = this.keys.run(run.id);
    const created = await this.redis.hsetnx(key, 'id', run.id);
    if (created === 1) {
      const fields: Record<string, string | number> = {
        kind: run.kind,
        source: run.source,
        trigger: run.trigger,
        status: RunStatus.running,
        startedAt: this.now().toISOString(),
        intakeDone: 0,
      };
      for (const c of [...intakeCounters, ...outcomeCounters]) fields[c] = 0;
      await this.redis.hset(key, fields);
      await this.redis.lpush(this.keys.runs, run.id);
      const evicted = await this.redis.lrange(this.keys.runs, this.keep, -1);
      if (evicted.length) {
        await execOrThrow(
          this.redis
            .multi()
            .ltrim(this.keys.runs, 0, this.keep - 1)
            .del(...evicted.flatMap((id) => [this.keys.run(id), `${this.keys.run(id)}:settled`])),
        );
      }
    }
    return (await this.get(run.id))!;
  }

  /**
   * Adds intake counts to a transaction (the caller adds its cursor move to the same MULTI), with the
   * outcomes of what the intake delivered itself.
   *
   * `page` (a pull's page): a page that moved no cursor will be read again by a resumed attempt, so its
   * counts are also kept apart for {@link resume} to take back; a page that moved the cursor covers the
   * pages before it (their counts stay), and becomes the run's own cursor.
   */
  addIntake(
    tx: ChainableCommander,
    runId: string,
    counts: Partial<Record<IntakeCounter | Outcome, number>>,
    page?: { cursor?: string },
  ): ChainableCommander {
    const key = this.keys.run(runId);
    for (const [k, v] of Object.entries(counts)) {
      if (!v) continue;
      tx.hincrby(key, k, v);
      if (page && page.cursor === undefined) tx.hincrby(key, reread(k), v);
    }
    if (page?.cursor !== undefined) tx.hdel(key, ...allCounters.map(reread)).hset(key, 'cursor', page.cursor);
    return tx;
  }

  /**
   * Prepares a resumed attempt of a run (a retried job, or one restarted after a crash): takes back the
   * counts of the pages it committed after its last cursor move, which the attempt reads and counts
   * again; returns the run's own last cursor (for a pull that does not read the source's stored one).
   */
  async resume(runId: string): Promise<{ cursor?: string }> {
    const cursor = await this.scripts.passerelleResume(this.keys.run(runId), ...allCounters);
    return cursor === null ? {} : { cursor };
  }

  /** Notes a failed attempt of the run's job that will be tried again: the run keeps running. */
  async noteFailedAttempt(runId: string, error: string): Promise<void> {
    const key = this.keys.run(runId);
    await execOrThrow(this.redis.multi().hincrby(key, 'failedAttempts', 1).hset(key, 'lastError', error));
  }

  /** Records one delivery outcome, once per job id; true when this settled the run's last change. */
  async settle(runId: string, jobId: string, outcome: Outcome): Promise<boolean> {
    const key = this.keys.run(runId);
    const r = await this.scripts.passerelleSettle(
      key,
      `${key}:settled`,
      jobId,
      outcome,
      this.now().toISOString(),
    );
    return r === 1;
  }

  /** Marks the intake finished; true when the run is finished by it (nothing left in flight). */
  async intakeDone(runId: string): Promise<boolean> {
    await this.redis.hset(this.keys.run(runId), 'intakeDone', 1);
    return this.settle(runId, '', 'delivered');
  }

  /**
   * Ends a running run as failed, when its job finally failed (last attempt, or an error retrying
   * cannot help); false when the run is not running (finished already, or unknown).
   */
  async fail(runId: string, error: string): Promise<boolean> {
    return (await this.scripts.passerelleFail(this.keys.run(runId), this.now().toISOString(), error)) === 1;
  }

  async get(runId: string): Promise<Run | undefined> {
    const h = await this.redis.hgetall(this.keys.run(runId));
    if (!h.id) return undefined;
    return toRun(h);
  }

  /** The last runs, newest first. */
  async list(limit = 50): Promise<Run[]> {
    const ids = await this.redis.lrange(this.keys.runs, 0, limit - 1);
    if (ids.length === 0) return [];
    const tx = this.redis.multi();
    for (const id of ids) tx.hgetall(this.keys.run(id));
    const res = (await tx.exec()) ?? [];
    return res
      .map(([, h]) => h as Record<string, string>)
      .filter((h) => h && h.id)
      .map(toRun);
  }
}

function toRun(h: Record<string, string>): Run {
  const counts = {} as RunCounts;
  for (const c of [...intakeCounters, ...outcomeCounters]) counts[c] = Number(h[c] ?? 0);
  return {
    id: h.id!,
    kind: h.kind ?? 'pull',
    source: h.source ?? '',
    trigger: h.trigger ?? '',
    status: (h.status as RunStatus) ?? RunStatus.running,
    startedAt: h.startedAt ?? '',
    ...(h.finishedAt ? { finishedAt: h.finishedAt } : {}),
    intakeDone: h.intakeDone === '1',
    counts,
    ...(h.error ? { error: h.error } : {}),
    ...(h.failedAttempts ? { failedAttempts: Number(h.failedAttempts) } : {}),
    ...(h.lastError ? { lastError: h.lastError } : {}),
  };
}
