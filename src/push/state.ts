/**
 * What the push pipeline keeps in Redis (design.md §3.2, §3.3):
 * - the **order** of each demand's pending events per target (a sorted set scored by `seq`): only the
 *   head is sent; a stuck head blocks its own demand, never another;
 * - the **idempotency** ledger per target: an event the target acknowledged is never sent again;
 * - the **pending** writes: a write sent whose answer was lost (or a crash in the middle); the next
 *   attempt reads the demand back before anything is sent again;
 * - the **follow-ups**: radiations due later (non-receivability), scheduled or flagged.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { execOrThrow } from '../queue/redis';
import type { PushKeys, Target } from './keys';

/** What the idempotency ledger holds for an event the target acknowledged (or that is not sent). */
export interface IdempotencyEntry {
  at: string;
  numUnique: string;
  /** The file type sent; absent when the event is not transmitted to this target. */
  typeFichier?: string;
  transmitted: boolean;
  /** The acknowledgement `delivered` reached the local tool. */
  acked: boolean;
  jobId?: string;
}

/** A write sent without a known outcome. */
export interface PendingWrite {
  at: string;
  jobId: string;
  typeFichier: string;
}

export const FollowUpMode = { schedule: 'schedule', flag: 'flag' } as const;
export type FollowUpMode = (typeof FollowUpMode)[keyof typeof FollowUpMode];

export const FollowUpStatus = { scheduled: 'scheduled', flagged: 'flagged', sent: 'sent', skipped: 'skipped' } as const;
export type FollowUpStatus = (typeof FollowUpStatus)[keyof typeof FollowUpStatus];

/** A radiation due later because of a decision (`RADIRR` one month after a non-receivability). */
export interface FollowUpRecord {
  target: Target;
  /** The decision event that made it due. */
  eventId: string;
  numUnique: string;
  motif: 'RADIRR';
  sousMotif: string;
  dueDate: string;
  mode: FollowUpMode;
  status: FollowUpStatus;
  at: string;
  jobId?: string;
}

export interface OrderEntry {
  numUnique: string;
  eventId: string;
  seq: number;
}

// KEYS: idempotency hash, run hash, then one order set per entry. ARGV: eventId, seq per entry.
// An event already acknowledged or already pending is not entered again (`unchanged`).
const ENTER = `
local changed, unchanged = 0, 0
for i = 3, #KEYS do
  local id, seq = ARGV[2 * (i - 2) - 1], ARGV[2 * (i - 2)]
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    unchanged = unchanged + 1
  elseif redis.call('ZADD', KEYS[i], 'NX', seq, id) == 1 then
    changed = changed + 1
  else
    unchanged = unchanged + 1
  end
end
if KEYS[2] ~= '' then
  if changed > 0 then redis.call('HINCRBY', KEYS[2], 'changed', changed) end
  if unchanged > 0 then redis.call('HINCRBY', KEYS[2], 'unchanged', unchanged) end
end
return {changed, unchanged}`;

// KEYS: order set, idempotency hash. ARGV: eventId, minimum score. A follow-up goes after the demand's
// pending events (they were recorded before it fell due), strictly before the next whole seq.
const ENTER_AFTER = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -1 end
local own = redis.call('ZSCORE', KEYS[1], ARGV[1])
if own then return own end
local tail = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local base = tonumber(ARGV[2])
if tail[2] and tonumber(tail[2]) > base then base = tonumber(tail[2]) end
local score = base + (math.floor(base) + 1 - base) / 2
redis.call('ZADD', KEYS[1], score, ARGV[1])
return tostring(score)`;

type StateCommands = Redis & {
  passerellePushEnter: (...args: string[]) => Promise<[number, number]>;
  passerellePushEnterAfter: (order: string, idem: string, eventId: string, min: string) => Promise<string | number>;
};
type TxCommands = ChainableCommander & { passerellePushEnter: (...args: string[]) => ChainableCommander };

export class PushState {
  constructor(private readonly redis: Redis, readonly keys: PushKeys) {
    redis.defineCommand('passerellePushEnter', { lua: ENTER });
    redis.defineCommand('passerellePushEnterAfter', { numberOfKeys: 2, lua: ENTER_AFTER });
  }

  // ---- idempotency -----------------------------------------------------------------------------

  async done(target: Target, eventId: string): Promise<IdempotencyEntry | undefined> {
    const raw = await this.redis.hget(this.keys.idempotency(target), eventId);
    return raw === null ? undefined : (JSON.parse(raw) as IdempotencyEntry);
  }

  /**
   * The events among `entries` that need no new job: acknowledged already, or pending in their
   * demand's order (their job was added with the entry). One round trip.
   */
  async knownAmong(target: Target, entries: readonly OrderEntry[]): Promise<Set<string>> {
    if (entries.length === 0) return new Set();
    const tx = this.redis.multi().hmget(this.keys.idempotency(target), ...entries.map((e) => e.eventId));
    for (const e of entries) tx.zscore(this.keys.order(target, e.numUnique), e.eventId);
    const res = await execOrThrow(tx);
    const done = res[0] as Array<string | null>;
    return new Set(entries.filter((e, i) => done[i] !== null || res[i + 1] !== null).map((e) => e.eventId));
  }

  async markAcked(target: Target, eventId: string, entry: IdempotencyEntry): Promise<void> {
    await this.redis.hset(this.keys.idempotency(target), eventId, JSON.stringify({ ...entry, acked: true }));
  }

  // ---- order -----------------------------------------------------------------------------------

  /**
   * Adds to a transaction the order entries of new events, skipping those already acknowledged or
   * pending, and counts them (`changed` / `unchanged`) in the run hash `runKey` ('' for none).
   */
  enterIn(tx: ChainableCommander, target: Target, entries: readonly OrderEntry[], runKey: string): void {
    if (entries.length === 0) return;
    const keys = [this.keys.idempotency(target), runKey, ...entries.map((e) => this.keys.order(target, e.numUnique))];
    const args = entries.flatMap((e) => [e.eventId, String(e.seq)]);
    (tx as TxCommands).passerellePushEnter(String(keys.length), ...keys, ...args);
  }

  /** Enters events now (replays); returns how many were new. */
  async enter(target: Target, entries: readonly OrderEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const keys = [this.keys.idempotency(target), '', ...entries.map((e) => this.keys.order(target, e.numUnique))];
    const args = entries.flatMap((e) => [e.eventId, String(e.seq)]);
    const [changed] = await (this.redis as StateCommands).passerellePushEnter(String(keys.length), ...keys, ...args);
    return changed;
  }

  /**
   * Enters a follow-up after the demand's pending events (score above `minSeq`); false when the
   * target already acknowledged it.
   */
  async enterAfter(target: Target, numUnique: string, eventId: string, minSeq: number): Promise<boolean> {
    const r = await (this.redis as StateCommands).passerellePushEnterAfter(
      this.keys.order(target, numUnique),
      this.keys.idempotency(target),
      eventId,
      String(minSeq),
    );
    return Number(r) !== -1;
  }

  /** The event at the head of a demand's order (the only one that may be sent now). */
  async head(target: Target, numUnique: string): Promise<{ eventId: string; seq: number } | undefined> {
    const [id, score] = await this.redis.zrange(this.keys.order(target, numUnique), '0', '0', 'WITHSCORES');
    return id === undefined ? undefined : { eventId: id, seq: Number(score) };
  }

  /**
   * Where an event stands, in one round trip: acknowledged already (its entry), the demand's head,
   * whether its own order entry is there, and a write of it whose outcome is unknown.
   */
  async standing(
    target: Target,
    numUnique: string,
    eventId: string,
  ): Promise<{ done?: IdempotencyEntry; head?: string; entered: boolean; pending?: PendingWrite }> {
    const res = await execOrThrow(
      this.redis
        .multi()
        .hget(this.keys.idempotency(target), eventId)
        .zrange(this.keys.order(target, numUnique), '0', '0')
        .zscore(this.keys.order(target, numUnique), eventId)
        .hget(this.keys.pending(target), eventId),
    );
    const raw = res[0] as string | null;
    const head = (res[1] as string[])[0];
    const pending = res[3] as string | null;
    return {
      ...(raw === null ? {} : { done: JSON.parse(raw) as IdempotencyEntry }),
      ...(head === undefined ? {} : { head }),
      entered: res[2] !== null,
      ...(pending === null ? {} : { pending: JSON.parse(pending) as PendingWrite }),
    };
  }

  async isPending(target: Target, numUnique: string, eventId: string): Promise<boolean> {
    return (await this.redis.zscore(this.keys.order(target, numUnique), eventId)) !== null;
  }

  /** Pending events of a demand, in order. */
  async pendingOf(target: Target, numUnique: string): Promise<string[]> {
    return this.redis.zrange(this.keys.order(target, numUnique), '0', '-1');
  }

  /**
   * Records the target's acknowledgement, clears the pending write and the order entry, in one
   * transaction; returns the demand's next event.
   */
  async complete(target: Target, numUnique: string, eventId: string, entry: IdempotencyEntry): Promise<string | undefined> {
    const res = await execOrThrow(
      this.redis
        .multi()
        .hset(this.keys.idempotency(target), eventId, JSON.stringify(entry))
        .hdel(this.keys.pending(target), eventId)
        .zrem(this.keys.order(target, numUnique), eventId)
        .zrange(this.keys.order(target, numUnique), '0', '0'),
    );
    return (res[3] as string[])[0];
  }

  /** Removes an event from its demand's order (operator discard); returns the next event. */
  async leaveOrder(target: Target, numUnique: string, eventId: string): Promise<string | undefined> {
    const res = await execOrThrow(
      this.redis
        .multi()
        .zrem(this.keys.order(target, numUnique), eventId)
        .hdel(this.keys.pending(target), eventId)
        .zrange(this.keys.order(target, numUnique), '0', '0'),
    );
    return (res[2] as string[])[0];
  }

  // ---- pending writes --------------------------------------------------------------------------

  async pendingWrite(target: Target, eventId: string): Promise<PendingWrite | undefined> {
    const raw = await this.redis.hget(this.keys.pending(target), eventId);
    return raw === null ? undefined : (JSON.parse(raw) as PendingWrite);
  }

  async setPendingWrite(target: Target, eventId: string, p: PendingWrite): Promise<void> {
    await this.redis.hset(this.keys.pending(target), eventId, JSON.stringify(p));
  }

  async clearPendingWrite(target: Target, eventId: string): Promise<void> {
    await this.redis.hdel(this.keys.pending(target), eventId);
  }

  // ---- follow-ups ------------------------------------------------------------------------------

  async putFollowUp(f: FollowUpRecord): Promise<void> {
    await this.redis.hset(this.keys.followUps, `${f.target}|${f.eventId}`, JSON.stringify(f));
  }

  async followUp(target: Target, eventId: string): Promise<FollowUpRecord | undefined> {
    const raw = await this.redis.hget(this.keys.followUps, `${target}|${eventId}`);
    return raw === null ? undefined : (JSON.parse(raw) as FollowUpRecord);
  }

  /** Every follow-up (scheduled, flagged, sent, skipped), by due date: what the reconciliation shows. */
  async followUps(): Promise<FollowUpRecord[]> {
    const all = await this.redis.hgetall(this.keys.followUps);
    return Object.values(all)
      .map((v) => JSON.parse(v) as FollowUpRecord)
      .sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.eventId.localeCompare(b.eventId));
  }
}
