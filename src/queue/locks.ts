/**
 * Per-demand locks: two jobs of the same demand never run at once (design.md §3.3), while other demands
 * go on. A lock is a Redis key with a token and a time-to-live, so a crashed holder releases it by itself.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class DemandLocks {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly ttlMs = 60_000) {
    redis.defineCommand('passerelleRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  /** Runs `fn` holding the lock; returns `{ locked: false }` at once when another job holds it. */
  async withLock<T>(scope: string, numUnique: string, fn: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
    const key = this.keys.lock(`${scope}:${numUnique}`);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return { locked: false };
    try {
      return { locked: true, value: await fn() };
    } finally {
      await (this.redis as Redis & { passerelleRelease: (k: string, t: string) => Promise<number> }).passerelleRelease(key, token);
    }
  }
}
