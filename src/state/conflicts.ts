/**
 * Conflicts: demands the gateway did not overwrite because the target changed on its side since the
 * gateway's last write (HTTP 409). Kept for the reconciliation report until a later write succeeds.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../queue/keys';

export interface Conflict {
  numUnique: string;
  source: string;
  at: string;
  runId?: string;
  /** Hash of the content the gateway wanted to write. */
  hash: string;
  /** The version the gateway expected, and the one the target holds. */
  expectedVersion?: number;
  currentVersion?: number;
}

export class ConflictStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async add(c: Conflict): Promise<void> {
    await this.redis.hset(this.keys.conflicts, c.numUnique, JSON.stringify(c));
  }

  async resolve(numUnique: string): Promise<void> {
    await this.redis.hdel(this.keys.conflicts, numUnique);
  }

  async count(): Promise<number> {
    return this.redis.hlen(this.keys.conflicts);
  }

  async list(): Promise<Conflict[]> {
    const all = await this.redis.hgetall(this.keys.conflicts);
    return Object.values(all).map((v) => JSON.parse(v) as Conflict);
  }
}
