/**
 * Alerts once per state change (design.md §5), never once per retry: `set(key, state)` logs and posts to
 * the webhook only when the state of `key` changes, `ok` → `alert` (raised) or `alert` → `ok` (resolved).
 *
 * The state lives in memory and, when a Redis connection is given, in the `alerts` hash: the change is
 * decided by a compare-and-set in Lua, so two gateway processes watching the same thing alert once
 * between them. If Redis cannot answer, the process decides from its memory: a possible duplicate is
 * better than a missed alert while Redis is down.
 *
 * A webhook that fails is logged and retried (in order) at the next evaluation or change.
 * The payload is `{ alert, state, since, detail }`: keys and details are built from names, counts and
 * codes, never from data.
 */
import axios, { type AxiosInstance } from 'axios';
import type { Redis } from 'ioredis';
import { PermanentError, TransientError } from '../errors';
import type { Logger } from '../logging';

export const AlertState = { ok: 'ok', alert: 'alert' } as const;
export type AlertState = (typeof AlertState)[keyof typeof AlertState];

/** What the webhook receives. */
export interface AlertNotification {
  /** The alert's key: `circuit:sne`, `dead-letters`, `pull:sne:radiees`, `worker:deliver`. */
  alert: string;
  state: AlertState;
  /** When this state began (ISO). */
  since: string;
  detail: string;
}

export interface AlerterOptions {
  logger: Logger;
  /** Where notifications are POSTed as JSON; only log lines without it. */
  webhookUrl?: string;
  /** The HTTP client (tests, proxies); a plain axios instance by default. */
  http?: AxiosInstance;
  now?: () => Date;
  /** Shared state between processes: the hash `redisKey` (`keys(prefix).alerts`) in this Redis. */
  redis?: Redis;
  redisKey?: string;
  /** Webhook request deadline; 10 s by default. */
  timeoutMs?: number;
  /** Notifications kept for retry while the webhook fails (oldest dropped beyond); 100 by default. */
  maxPending?: number;
}

export interface Alerter {
  /**
   * Records the state of `key`; on a change, logs it and notifies the webhook. Resolves to true when
   * this call made the change. An unknown key counts as `ok` (its first `ok` is silent).
   */
  set(key: string, state: AlertState, detail?: string): Promise<boolean>;
  /** Sends again the notifications the webhook refused (in order, stopping at the first failure). */
  retryPending(): Promise<void>;
  /** The state this process last saw for `key`. */
  stateOf(key: string): AlertState | undefined;
  /** Notifications waiting for the webhook. */
  pendingCount(): number;
}

// KEYS[1] alerts hash. ARGV: field, new state, since. Value: "<state> <since>". Returns 1 on a change.
const CAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local st = 'ok'
if cur then st = string.match(cur, '^(%a+)') or 'ok' end
if st == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3])
return 1`;

type Cas = (key: string, field: string, state: string, since: string) => Promise<number>;

const MAX_DETAIL = 300;

/** Creates an alerter; see {@link AlerterOptions}. */
export function createAlerter(o: AlerterOptions): Alerter {
  const logger = o.logger.child({ component: 'alerts' });
  const now = o.now ?? (() => new Date());
  const http = o.http ?? axios.create();
  const timeout = o.timeoutMs ?? 10_000;
  const maxPending = o.maxPending ?? 100;
  const memory = new Map<string, AlertState>();
  const pending: AlertNotification[] = [];
  let chain: Promise<void> = Promise.resolve();

  let cas: Cas | undefined;
  if (o.redis) {
    if (!o.redisKey) throw new PermanentError('ALERTS_CONFIG', 'createAlerter: redisKey is required with redis');
    o.redis.defineCommand('passerelleAlertCas', { numberOfKeys: 1, lua: CAS });
    const r = o.redis as Redis & { passerelleAlertCas: Cas };
    cas = (...a) => r.passerelleAlertCas(...a);
  }

  const changedInMemory = (key: string, state: AlertState): boolean => {
    const before = memory.get(key) ?? AlertState.ok;
    memory.set(key, state);
    return before !== state;
  };

  const changed = async (key: string, state: AlertState, since: string): Promise<boolean> => {
    if (!cas || !o.redisKey) return changedInMemory(key, state);
    try {
      const r = await cas(o.redisKey, key, state, since);
      memory.set(key, state);
      return r === 1;
    } catch {
      logger.warn('alert state not shared (Redis unavailable): deciding from memory', { code: 'ALERTS_REDIS_UNAVAILABLE' });
      return changedInMemory(key, state);
    }
  };

  const deliver = async (n: AlertNotification): Promise<boolean> => {
    if (!o.webhookUrl) return true;
    try {
      await http.post(o.webhookUrl, n, {
        timeout,
        headers: { 'content-type': 'application/json' },
        validateStatus: (s) => s >= 200 && s < 300,
      });
      return true;
    } catch (e) {
      const status = (e as { response?: { status?: unknown } }).response?.status;
      const code = (e as { code?: unknown }).code;
      // Never the URL (chat webhooks carry their secret in it), nor the answer.
      const err = new TransientError('ALERT_WEBHOOK_FAILED', 'the alert webhook did not accept a notification', {
        system: 'alerts',
        details: {
          ...(typeof status === 'number' ? { httpStatus: status } : {}),
          ...(typeof code === 'string' ? { code } : {}),
        },
      });
      logger.error('alert webhook failed; will retry at the next evaluation', { err, state: n.state, pending: pending.length });
      return false;
    }
  };

  /** Delivers the pending notifications in order; one flush at a time. */
  const flush = (): Promise<void> => {
    chain = chain.then(async () => {
      while (pending.length > 0) {
        const head = pending[0]!;
        if (!(await deliver(head))) return;
        pending.shift();
      }
    });
    return chain;
  };

  const set = async (key: string, state: AlertState, detail = ''): Promise<boolean> => {
    const since = now().toISOString();
    if (!(await changed(key, state, since))) return false;
    const text = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
    if (state === AlertState.alert) logger.warn(`alert raised: ${key}${text ? ` (${text})` : ''}`, { state, since });
    else logger.info(`alert resolved: ${key}${text ? ` (${text})` : ''}`, { state, since });
    if (o.webhookUrl) {
      pending.push({ alert: key, state, since, detail: text });
      if (pending.length > maxPending) {
        pending.splice(0, pending.length - maxPending);
        logger.warn('alert notifications dropped: the webhook has been failing for long', { limit: maxPending });
      }
      await flush();
    }
    return true;
  };

  return {
    set,
    retryPending: flush,
    stateOf: (key) => memory.get(key),
    pendingCount: () => pending.length,
  };
}
