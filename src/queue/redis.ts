/**
 * Redis connections. BullMQ workers need `maxRetriesPerRequest: null` (a blocking command must wait
 * for Redis to come back, not fail), and every connection reconnects by itself with a capped backoff,
 * so that after a restart or failover the workers resume without a restart of the gateway.
 */
import { Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import { PermanentError, TransientError } from '../errors';

export interface RedisConnectionOptions {
  url: string;
  /** Shown in `CLIENT LIST`, to tell the gateway's connections apart. */
  name?: string;
  /** Connect on first command instead of at once. */
  lazyConnect?: boolean;
  /**
   * Send the commands issued in one tick as one write. The stores' many small commands from concurrent
   * jobs then cost one system call instead of one each (profiling showed the writes dominating).
   */
  autoPipelining?: boolean;
}

export function createRedis(options: RedisConnectionOptions): Redis {
  const extra: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: options.lazyConnect ?? false,
    enableAutoPipelining: options.autoPipelining ?? false,
    connectionName: options.name,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
    reconnectOnError: (err) => /READONLY|LOADING/.test(err.message),
  };
  return new Redis(options.url, extra);
}

/**
 * BullMQ and the ledger lose data silently if Redis evicts keys under memory pressure: refuse to start
 * unless `maxmemory-policy` is `noeviction`.
 */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = reply[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new PermanentError(
      'REDIS_EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy}": set it to "noeviction" (an evicted job or ledger entry is lost data)`,
      { system: 'redis', details: { policy } },
    );
  }
}

/** Closes a connection politely, then forcibly if it does not answer within the deadline. */
export async function closeRedis(redis: Redis, deadlineMs = 2_000): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.quit().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
        timer.unref();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    // quit() may have ended it meanwhile; disconnect() on an ended connection is harmless.
    redis.disconnect();
  }
}

/** Runs a MULTI and throws when any command in it failed (ioredis reports those in the result, not by throwing). */
export async function execOrThrow(tx: ChainableCommander): Promise<unknown[]> {
  const res = await tx.exec();
  if (res === null) throw new TransientError('REDIS_TX_ABORTED', 'a Redis transaction was aborted', { system: 'redis' });
  return res.map(([err, value]) => {
    if (err) throw new TransientError('REDIS_TX_FAILED', `a Redis transaction failed: ${err.message}`, { system: 'redis' });
    return value;
  });
}

/** Waits until Redis answers a PING, or fails with REDIS_UNREACHABLE (connections retry forever otherwise). */
export async function waitForRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PermanentError('REDIS_UNREACHABLE', `Redis does not answer at ${redactRedisUrl(url)}`, { system: 'redis' })),
          timeoutMs,
        );
        timer.unref();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** A Redis URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

/** True when a Redis answers PING at `url` within `timeoutMs` (a probe: one connection, no retry). */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
