/**
 * Quarantine: records that could not be taken in (malformed XML, invalid demand, unmappable code). Each
 * entry says where (source, file, index, numéro unique when readable), why (path, rule, message: never a
 * value) and keeps the original input sealed, so it can be fixed and taken in again. Never pruned by
 * itself: an operator clears what was looked at.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Issue } from '../errors';
import type { Keys } from '../queue/keys';
import { execOrThrow } from '../queue/redis';

export interface QuarantineEntry {
  id: string;
  at: string;
  source: string;
  runId?: string;
  file?: string;
  index?: number;
  numUnique?: string;
  issues: Issue[];
  /** The original input, sealed with the payload cipher. */
  sealedInput?: string;
}

export interface QuarantineQuery {
  source?: string;
  numUnique?: string;
  limit?: number;
}

/**
 * A record found at a known place of a run (file and index) has one entry whatever the number of times
 * it is read: an attempt resumed after a crash or a retry re-reads the pages since the last cursor.
 */
function quarantineId(e: Omit<QuarantineEntry, 'id' | 'at'>): string {
  if (e.runId === undefined || e.index === undefined) return randomUUID();
  return createHash('sha256').update(`${e.runId}\n${e.source}\n${e.file ?? ''}\n${e.index}`).digest('hex').slice(0, 32);
}

export class QuarantineStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => Date = () => new Date()) {}

  /** Adds entries in one round trip; returns their ids. */
  async addMany(entries: Array<Omit<QuarantineEntry, 'id' | 'at'>>, tx?: ReturnType<Redis['multi']>): Promise<string[]> {
    if (entries.length === 0) return [];
    const at = this.now();
    const own = tx ?? this.redis.multi();
    const ids: string[] = [];
    for (const e of entries) {
      const id = quarantineId(e);
      ids.push(id);
      const full: QuarantineEntry = { id, at: at.toISOString(), ...e };
      own.set(this.keys.quarantineItem(id), JSON.stringify(full));
      own.zadd(this.keys.quarantine, at.getTime(), id);
    }
    if (!tx) await execOrThrow(own);
    return ids;
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.keys.quarantine);
  }

  /** Newest first, filtered. */
  async list(query: QuarantineQuery = {}): Promise<QuarantineEntry[]> {
    const limit = query.limit ?? 100;
    const out: QuarantineEntry[] = [];
    let offset = 0;
    const page = 500;
    while (out.length < limit) {
      const ids = await this.redis.zrevrange(this.keys.quarantine, offset, offset + page - 1);
      if (ids.length === 0) break;
      offset += ids.length;
      const raw = await this.redis.mget(...ids.map((id) => this.keys.quarantineItem(id)));
      for (const r of raw) {
        if (!r) continue;
        const e = JSON.parse(r) as QuarantineEntry;
        if (query.source && e.source !== query.source) continue;
        if (query.numUnique && e.numUnique !== query.numUnique) continue;
        out.push(e);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  async get(id: string): Promise<QuarantineEntry | undefined> {
    const r = await this.redis.get(this.keys.quarantineItem(id));
    return r ? (JSON.parse(r) as QuarantineEntry) : undefined;
  }

  async remove(id: string): Promise<void> {
    await execOrThrow(this.redis.multi().del(this.keys.quarantineItem(id)).zrem(this.keys.quarantine, id));
  }
}
