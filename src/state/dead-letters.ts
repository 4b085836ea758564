/**
 * Dead letters: what failed permanently (or was parked after an ambiguous outcome), kept until an operator
 * replays or discards it (design.md §5: a queue's "failed" set is not a dead-letter store). Each keeps the
 * reason, code, origin, attempts and the original input (sealed), and is indexed by code, system, demand and
 * date so that a search never scans Redis. Replays and discards are written to an audit trail.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ErrorClass } from '../errors';
import type { Keys } from '../queue/keys';
import { execOrThrow } from '../queue/redis';

export const DeadLetterStatus = { open: 'open', replayed: 'replayed', discarded: 'discarded' } as const;
export type DeadLetterStatus = (typeof DeadLetterStatus)[keyof typeof DeadLetterStatus];

export interface DeadLetter {
  id: string;
  at: string;
  status: DeadLetterStatus;
  /** The queue the job ran in (`deliver`, `push`). */
  queue: string;
  /** The system the job was writing to (`local`, `sne`, `spta:35`). */
  system: string;
  /** Where the input came from: an event id, a source and record, a file. */
  origin: string;
  numUnique?: string;
  code: string;
  errorClass: ErrorClass;
  message: string;
  attempts: number;
  /** The job name and its data without the sealed payload: enough to rebuild the job. */
  job: { name: string; data: Record<string, unknown> };
  /** The original input, sealed. */
  sealedInput?: string;
}

export interface DeadLetterQuery {
  code?: string;
  system?: string;
  numUnique?: string;
  status?: DeadLetterStatus;
  /** ISO date-times. */
  since?: string;
  until?: string;
  limit?: number;
}

export interface AuditEntry {
  at: string;
  who: string;
  action: 'replay' | 'discard';
  deadLetterId: string;
  detail?: string;
}

export class DeadLetterStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => Date = () => new Date()) {}

  async add(entry: Omit<DeadLetter, 'id' | 'at' | 'status'> & { id?: string }): Promise<DeadLetter> {
    const at = this.now();
    const dl: DeadLetter = { ...entry, id: entry.id ?? randomUUID(), at: at.toISOString(), status: DeadLetterStatus.open };
    const tx = this.redis.multi();
    tx.set(this.keys.deadLetter(dl.id), JSON.stringify(dl));
    tx.zadd(this.keys.deadLetters, at.getTime(), dl.id);
    for (const [field, value] of this.indexFields(dl)) tx.sadd(this.keys.deadLetterIndex(field, value), dl.id);
    await execOrThrow(tx);
    return dl;
  }

  private indexFields(dl: DeadLetter): Array<[string, string]> {
    const f: Array<[string, string]> = [
      ['code', dl.code],
      ['system', dl.system],
      ['status', dl.status],
    ];
    if (dl.numUnique) f.push(['demande', dl.numUnique]);
    return f;
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const r = await this.redis.get(this.keys.deadLetter(id));
    return r ? (JSON.parse(r) as DeadLetter) : undefined;
  }

  /** Open dead letters count (for alerts and metrics). */
  async countOpen(): Promise<number> {
    return this.redis.scard(this.keys.deadLetterIndex('status', DeadLetterStatus.open));
  }

  /** Newest first; index sets narrow the search, the date range filters. */
  async search(q: DeadLetterQuery = {}): Promise<DeadLetter[]> {
    const limit = q.limit ?? 100;
    const sets: string[] = [];
    if (q.code) sets.push(this.keys.deadLetterIndex('code', q.code));
    if (q.system) sets.push(this.keys.deadLetterIndex('system', q.system));
    if (q.numUnique) sets.push(this.keys.deadLetterIndex('demande', q.numUnique));
    if (q.status) sets.push(this.keys.deadLetterIndex('status', q.status));
    const min = q.since ? Date.parse(q.since) : '-inf';
    const max = q.until ? Date.parse(q.until) : '+inf';
    let ids: string[];
    if (sets.length) {
      const members = new Set(await this.redis.sinter(...sets));
      const dated = await this.redis.zrevrangebyscore(this.keys.deadLetters, max, min);
      ids = dated.filter((id) => members.has(id));
    } else {
      ids = await this.redis.zrevrangebyscore(this.keys.deadLetters, max, min, 'LIMIT', 0, limit);
    }
    ids = ids.slice(0, limit);
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(...ids.map((id) => this.keys.deadLetter(id)));
    return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as DeadLetter);
  }

  /** Moves a dead letter to a final status and records who did it. */
  async close(id: string, status: Exclude<DeadLetterStatus, 'open'>, who: string, detail?: string): Promise<DeadLetter | undefined> {
    const dl = await this.get(id);
    if (!dl || dl.status !== DeadLetterStatus.open) return dl;
    const updated: DeadLetter = { ...dl, status };
    const audit: AuditEntry = {
      at: this.now().toISOString(),
      who,
      action: status === DeadLetterStatus.replayed ? 'replay' : 'discard',
      deadLetterId: id,
      ...(detail ? { detail } : {}),
    };
    await execOrThrow(
      this.redis
        .multi()
        .set(this.keys.deadLetter(id), JSON.stringify(updated))
        .srem(this.keys.deadLetterIndex('status', DeadLetterStatus.open), id)
        .sadd(this.keys.deadLetterIndex('status', status), id)
        .lpush(this.keys.deadLetterAudit, JSON.stringify(audit)),
    );
    return updated;
  }

  async audit(limit = 100): Promise<AuditEntry[]> {
    const raw = await this.redis.lrange(this.keys.deadLetterAudit, 0, limit - 1);
    return raw.map((r) => JSON.parse(r) as AuditEntry);
  }
}
