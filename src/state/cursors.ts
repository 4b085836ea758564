/**
 * Cursors: per source, how far the gateway has durably taken in. A cursor only moves after what it
 * covers is enqueued or applied (design.md §3.1), so a crash replays at most one page, which the ledger
 * and deterministic job ids make harmless.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from '../queue/keys';
import { execOrThrow } from '../queue/redis';

export interface CursorInfo {
  source: string;
  value: string;
  updatedAt: string;
}

export class CursorStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => Date = () => new Date()) {}

  async get(source: string): Promise<string | undefined> {
    const v = await this.redis.hget(this.keys.cursors, source);
    return v === null ? undefined : (JSON.parse(v) as CursorInfo).value;
  }

  async set(source: string, value: string): Promise<void> {
    await execOrThrow(this.setIn(this.redis.multi(), source, value));
  }

  /** Adds the cursor move to a transaction, so it lands with what it covers or not at all. */
  setIn(tx: ChainableCommander, source: string, value: string): ChainableCommander {
    const info: CursorInfo = { source, value, updatedAt: this.now().toISOString() };
    return tx.hset(this.keys.cursors, source, JSON.stringify(info));
  }

  async delete(source: string): Promise<void> {
    await this.redis.hdel(this.keys.cursors, source);
  }

  async list(): Promise<CursorInfo[]> {
    const all = await this.redis.hgetall(this.keys.cursors);
    return Object.values(all)
      .map((v) => JSON.parse(v) as CursorInfo)
      .sort((a, b) => a.source.localeCompare(b.source));
  }
}
