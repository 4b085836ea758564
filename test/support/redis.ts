/**
 * Redis for integration tests: a unique key prefix per test file, every key under it removed at the end.
 * Redis must answer (global-setup.js fails the run loudly otherwise).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { keys, type Keys } from '../../src/queue/keys';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  redis: Redis;
  prefix: string;
  keys: Keys;
  url: string;
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.unlink(...found);
  } while (cursor !== '0');
}

/** Call at the top of a describe/file: opens a connection and cleans up after all tests. */
export function useTestRedis(name: string): TestRedis {
  const prefix = `test-${name}-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  const t: TestRedis = { redis, prefix, keys: keys(prefix), url: REDIS_URL };
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });
  return t;
}
