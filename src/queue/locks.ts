/**
 * Per-demand locks: two jobs of the same demand never run at once (design.md §3.3), while other demands
 * go on. A lock is a Redis key with a token and a time-to-live, so a crashed holder releases it by itself.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

type LockCommands = Redis & {
  passerelleRelease: (k: string, t: string) => Promise<number>;
  passerelleExtend: (k: string, t: string, ms: number) => Promise<number>;
};

export class DemandLocks {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly ttlMs = 60_000) {
    redis.defineCommand('passerelleRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('passerelleExtend', { numberOfKeys: 1, lua: EXTEND });
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
      await (this.redis as LockCommands).passerelleRelease(key, token);
    }
  }

  /**
   * Like `withLock`, for long work (a whole pull): the lock is extended while `fn` runs, and expires by
   * itself `ttlMs` after a crash.
   */
  async withRenewedLock<T>(scope: string, name: string, fn: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
    const key = this.keys.lock(`${scope}:${name}`);
    const token = randomUUID();
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') return { locked: false };
    const timer = setInterval(() => {
      // A failed extension is tried again at the next tick; the lock's TTL leaves room for two misses.
      (this.redis as LockCommands).passerelleExtend(key, token, this.ttlMs).catch(() => undefined);
    }, Math.max(1_000, Math.floor(this.ttlMs / 3)));
    timer.unref();
    try {
      return { locked: true, value: await fn() };
    } finally {
      clearInterval(timer);
      await (this.redis as LockCommands).passerelleRelease(key, token);
    }
  }
}
