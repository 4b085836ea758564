/**
 * Intake of the local tool's events (design.md §1 "push", §3.1): the feed follower reads
 * `GET /evenements?after=<cursor>` page by page, and the HMAC endpoint (`./http.ts`) hands over events
 * the local tool notifies. Both take events in the same way:
 *
 * 1. each event is prepared (local codes translated, then validated); an invalid event from the feed is
 *    a dead letter and a `rejected` acknowledgement (the endpoint refuses it with 422 instead);
 * 2. one job per valid event and target (`push.<target>.<eventId>`), bulk-added first;
 * 3. then ONE transaction: the per-demand order entries, the run counts and (for the feed) the cursor.
 *
 * A crash between 2 and 3 replays at most one page, harmlessly: same job ids, entries added only once
 * (`ZADD NX`, and never for an event the target already acknowledged), counts moved with the entries.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ValidationError, type Issue } from '../errors';
import type { Logger } from '../logging';
import { prepareEvenement, type Violation } from '../mapping';
import type { PayloadCipher } from '../queue/crypto';
import type { DemandLocks } from '../queue/locks';
import { execOrThrow } from '../queue/redis';
import type { CursorStore } from '../state/cursors';
import type { DeadLetterStore } from '../state/dead-letters';
import type { RunStore } from '../state/runs';
import type { Evenement, LocalClient } from '../systems/local';
import { PushJobName, type PushJobData, type PushRuns } from './jobs';
import { pushJobId, type Target } from './keys';
import type { MappingsSource } from './mappings';
import type { OrderEntry, PushState } from './state';

/** Cursor of the local tool's event feed (the last `seq` taken in). */
export const LOCAL_EVENTS_CURSOR = 'local-events';

/** Queue name of the dead letters of events refused at intake (replayed by `replay.ts`). */
export const INTAKE_QUEUE = 'push-intake';

/** Codes of events refused at intake. */
export const IntakeCode = {
  /** The event breaks the event schema or a table-free rule. */
  invalid: 'EVENT_INVALID',
  /** A local code has no line in `mappings/local/codes.yaml`: fix the table, then replay. */
  unknownLocalCode: 'MAPPING_UNKNOWN_LOCAL_CODE',
} as const;

export interface EventIntakeDeps {
  local: Pick<LocalClient, 'listEvenements' | 'acknowledge'>;
  tables: MappingsSource;
  /** Where every event goes (`['sne']` by default in the configuration). */
  targets: readonly Target[];
  /** The queue of each target (`pushQueueName`). */
  queues: ReadonlyMap<Target, Queue<PushJobData>>;
  redis: Redis;
  state: PushState;
  runs: PushRuns;
  runStore: RunStore;
  cursors: CursorStore;
  deadLetters: DeadLetterStore;
  cipher: PayloadCipher;
  locks: DemandLocks;
  logger: Logger;
  /** Events per page of the feed (default 500). */
  pageSize?: number;
  /** Poll period of the loop (default 1000 ms). */
  pollMs?: number;
  now?: () => Date;
}

export interface FollowResult {
  /** False when another process follows the feed now (nothing done here). */
  locked: boolean;
  pages: number;
  fetched: number;
  valid: number;
  invalid: number;
  /** The cursor after the call. */
  cursor?: string;
}

export interface AcceptResult {
  accepted: number;
}

export interface EventIntake {
  /** Reads the feed from the cursor to its end (one follower at a time across processes). */
  followOnce(): Promise<FollowResult>;
  /**
   * Takes in events notified through the HMAC endpoint: every event is checked first; one invalid
   * event refuses the whole body (`ValidationError` EVENT_INVALID with every issue, paths
   * `events[i]....`) and nothing is stored. Resolves once the jobs and order entries are durable.
   */
  accept(events: readonly unknown[]): Promise<AcceptResult>;
  /** Starts the polling loop (worker role); idempotent. */
  start(): void;
  /** Stops the loop and waits for the read in flight; idempotent. */
  stop(): Promise<void>;
}

interface Taken {
  raw: Evenement;
  eventId: string;
  numUnique: string;
  seq: number;
  type: string;
}

/** Every violation in one line: path, message, rule, and the table to edit (never a value). */
export function describeViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => `${v.path || '(event)'}: ${v.message} [${v.rule}]${v.table ? ` (${v.table}${v.code ? `, code ${v.code}` : ''})` : ''}`)
    .join('; ');
}

export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const now = deps.now ?? (() => new Date());
  const pageSize = deps.pageSize ?? 500;
  const pollMs = deps.pollMs ?? 1_000;
  const log = deps.logger.child({ component: 'push-intake' });

  /** Invalid event of the feed: rejected to the local tool, then kept as a dead letter. */
  async function refuse(raw: Evenement, violations: Violation[]): Promise<void> {
    const id = `intake.${raw.id}`;
    // A replayed page finds its dead letters: the event was refused (and acknowledged) already.
    if (await deps.deadLetters.get(id)) return;
    const code = violations.some((v) => v.rule === 'unknown-local-code') ? IntakeCode.unknownLocalCode : IntakeCode.invalid;
    const message = `event refused at intake: ${describeViolations(violations)}`;
    await deps.local.acknowledge(raw.id, { status: 'rejected', code, message, at: now().toISOString() });
    await deps.deadLetters.add({
      id,
      queue: INTAKE_QUEUE,
      system: 'local',
      origin: `event ${raw.id} (seq ${raw.seq})`,
      numUnique: raw.numUnique,
      code,
      errorClass: 'permanent',
      message,
      attempts: 1,
      job: { name: 'intake', data: { eventId: raw.id, numUnique: raw.numUnique, seq: raw.seq, type: raw.type, targets: [...deps.targets] } },
      sealedInput: deps.cipher.seal(raw),
    });
    log.warn('event refused at intake: dead letter', { eventId: raw.id, numUnique: raw.numUnique, code, count: violations.length });
  }

  /** Steps 2 and 3 for valid events; `cursor` moves in the same transaction when given. */
  async function takeIn(valid: readonly Taken[], counts: { fetched: number; invalid: number }, cursor?: string): Promise<void> {
    const perTarget: Array<{ target: Target; runId: string }> = [];
    // Sealed once per event, and only for events that get a job.
    const sealed = new Map<string, string>();
    const sealOf = (t: Taken): string => {
      let v = sealed.get(t.eventId);
      if (v === undefined) sealed.set(t.eventId, (v = deps.cipher.seal(t.raw)));
      return v;
    };
    const entries: OrderEntry[] = valid.map((t) => ({ numUnique: t.numUnique, eventId: t.eventId, seq: t.seq }));
    for (const target of deps.targets) {
      const queue = deps.queues.get(target);
      if (!queue) throw new ValidationError('PUSH_TARGET_UNKNOWN', [{ path: 'push.targets', rule: 'queue', message: `no queue for target ${target}` }]);
      const runId = await deps.runs.current(target);
      perTarget.push({ target, runId });
      // An event the target already acknowledged is not enqueued again (its job may be gone), nor one
      // already pending (its job was added with its order entry).
      const known = await deps.state.knownAmong(target, entries);
      const jobs = valid
        .filter((t) => !known.has(t.eventId))
        .map((t) => ({
          name: PushJobName.event,
          data: { target, eventId: t.eventId, numUnique: t.numUnique, seq: t.seq, type: t.type, runId, sealed: sealOf(t) } satisfies PushJobData,
          opts: { jobId: pushJobId(target, t.eventId) },
        }));
      if (jobs.length) await queue.addBulk(jobs);
    }
    const tx = deps.redis.multi();
    for (const { target, runId } of perTarget) {
      deps.state.enterIn(tx, target, entries, deps.runs.runKey(runId));
      deps.runStore.addIntake(tx, runId, { fetched: counts.fetched, valid: valid.length, quarantined: counts.invalid });
    }
    if (cursor !== undefined) deps.cursors.setIn(tx, LOCAL_EVENTS_CURSOR, cursor);
    await execOrThrow(tx);
  }

  async function followPages(): Promise<Omit<FollowResult, 'locked'>> {
    const stored = await deps.cursors.get(LOCAL_EVENTS_CURSOR);
    let after = stored === undefined ? 0 : Number(stored);
    const result: Omit<FollowResult, 'locked'> = { pages: 0, fetched: 0, valid: 0, invalid: 0, cursor: String(after) };
    for (;;) {
      const page = await deps.local.listEvenements({ after, limit: pageSize });
      if (page.items.length === 0) break;
      const tables = deps.tables.get();
      const valid: Taken[] = [];
      let invalid = 0;
      for (const raw of page.items) {
        const p = prepareEvenement(raw, tables);
        if (p.ok) valid.push({ raw, eventId: raw.id, numUnique: raw.numUnique, seq: raw.seq, type: p.evenement.type });
        else {
          invalid++;
          await refuse(raw, p.violations);
        }
      }
      const next = Math.max(after, page.nextAfter, ...page.items.map((e) => e.seq));
      await takeIn(valid, { fetched: page.items.length, invalid }, String(next));
      result.pages++;
      result.fetched += page.items.length;
      result.valid += valid.length;
      result.invalid += invalid;
      result.cursor = String(next);
      if (next <= after || page.items.length < pageSize) break;
      after = next;
    }
    if (result.fetched) log.info('local events taken in', { fetched: result.fetched, valid: result.valid, quarantined: result.invalid, cursor: result.cursor });
    return result;
  }

  async function followOnce(): Promise<FollowResult> {
    const r = await deps.locks.withRenewedLock('intake', LOCAL_EVENTS_CURSOR, followPages);
    return r.locked ? { locked: true, ...r.value } : { locked: false, pages: 0, fetched: 0, valid: 0, invalid: 0 };
  }

  async function accept(events: readonly unknown[]): Promise<AcceptResult> {
    const tables = deps.tables.get();
    const issues: Issue[] = [];
    const valid: Taken[] = [];
    events.forEach((raw, i) => {
      const at = `events[${i}]`;
      const p = prepareEvenement(raw, tables);
      const seq = typeof raw === 'object' && raw !== null ? (raw as { seq?: unknown }).seq : undefined;
      const seqOk = typeof seq === 'number' && Number.isInteger(seq) && seq >= 0;
      if (!seqOk && !(p.ok === false && p.violations.some((v) => v.path === 'seq'))) {
        issues.push({ path: `${at}.seq`, rule: 'required', message: 'seq is required: the position of the event in the local feed, a whole number' });
      }
      if (!p.ok) {
        issues.push(...p.violations.map((v) => ({ path: v.path ? `${at}.${v.path}` : at, rule: v.rule, message: v.message })));
        return;
      }
      if (!seqOk) return;
      const e = p.evenement;
      valid.push({ raw: raw as Evenement, eventId: e.id, numUnique: e.numUnique, seq, type: e.type });
    });
    if (issues.length) throw new ValidationError(IntakeCode.invalid, issues, { system: 'local' });
    if (valid.length) await takeIn(valid, { fetched: events.length, invalid: 0 });
    return { accepted: valid.length };
  }

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const schedule = (): void => {
    if (!running) return;
    timer = setTimeout(() => {
      timer = undefined;
      inFlight = followOnce()
        .then(() => undefined)
        // The loop is the retry: a failed read is said once per poll and tried again at the next.
        .catch((e: unknown) => log.warn('local event feed not read; next try at the next poll', { err: e, delayMs: pollMs }))
        .finally(() => {
          inFlight = undefined;
          schedule();
        });
    }, pollMs);
    timer.unref();
  };

  return {
    followOnce,
    accept,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
