/**
 * Per-demand locks: two jobs of the same demand never run at once (design.md §3.3), while other demands
 * go on. A lock is a Redis key with a token and a time-to-live, so a crashed holder releases it by itself.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
// KEYS: lock keys; ARGV: token, ttl. Takes every free lock; returns 1/0 per key.
const LOCK_MANY = `local out = {}
for i, k in ipairs(KEYS) do
  if redis.call('SET', k, ARGV[1], 'PX', ARGV[2], 'NX') then out[i] = 1 else out[i] = 0 end
end
return out`;
const RELEASE_MANY = `for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k) end
end
return 1`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

type LockCommands = Redis & {
  passerelleLockMany: (n: number, ...args: Array<string | number>) => Promise<number[]>;
  passerelleReleaseMany: (n: number, ...args: Array<string | number>) => Promise<number>;
  passerelleRelease: (k: string, t: string) => Promise<number>;
  passerelleExtend: (k: string, t: string, ms: number) => Promise<number>;
};

export class DemandLocks {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly ttlMs = 60_000) {
    redis.defineCommand('passerelleRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('passerelleExtend', { numberOfKeys: 1, lua: EXTEND });
    redis.defineCommand('passerelleLockMany', { lua: LOCK_MANY });
    redis.defineCommand('passerelleReleaseMany', { lua: RELEASE_MANY });
  }

  /** Takes the free locks of many demands in one round trip; returns the token and which were taken. */
  async lockMany(scope: string, numUniques: readonly string[]): Promise<{ token: string; locked: Set<string> }> {
    const token = randomUUID();
    if (numUniques.length === 0) return { token, locked: new Set() };
    const keys = numUniques.map((nu) => this.keys.lock(`${scope}:${nu}`));
    const r = await (this.redis as LockCommands).passerelleLockMany(keys.length, ...keys, token, this.ttlMs);
    return { token, locked: new Set(numUniques.filter((_, i) => r[i] === 1)) };
  }

  async releaseMany(scope: string, numUniques: Iterable<string>, token: string): Promise<void> {
    const keys = [...numUniques].map((nu) => this.keys.lock(`${scope}:${nu}`));
    if (keys.length) await (this.redis as LockCommands).passerelleReleaseMany(keys.length, ...keys, token);
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
