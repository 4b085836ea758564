/**
 * The HMAC-signed event endpoint (`POST /api/evenements` on the web server): the local tool notifies
 * its events as they happen instead of waiting for the next poll of its feed. Same path as the feed
 * (`EventIntake.accept`): the same event arriving both ways has one effect.
 *
 * Headers: `X-Passerelle-Timestamp: <unix seconds>` and
 * `X-Passerelle-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
 * Body: one event, or `{ "events": [...] }`; every event carries its `seq` (its place in the feed).
 *
 * | outcome | status |
 * |---|---|
 * | signature missing or wrong, timestamp outside the tolerance, (timestamp, signature) already used | 401, nothing stored |
 * | body over the limit | 413 |
 * | body not JSON | 400 |
 * | an event breaks a rule | 422 `{errors: [{path, rule, message}]}`, every error of every event (no value quoted), nothing stored |
 * | accepted | 202 `{accepted}` once the jobs are durable |
 * | storage unavailable | 503, send again |
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import type { Redis } from 'ioredis';
import { isGatewayError, ValidationError, type Issue } from '../errors';
import type { Logger } from '../logging';
import type { PushKeys } from './keys';

export const TIMESTAMP_HEADER = 'x-passerelle-timestamp';
export const SIGNATURE_HEADER = 'x-passerelle-signature';

/** Remembers the (timestamp, signature) pairs already accepted, for as long as they could be replayed. */
export interface ReplayGuard {
  /** True the first time `key` is seen within `ttlMs`. */
  firstSeen(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a key (the request it came with was not stored: the same request may come again). */
  forget(key: string): Promise<void>;
}

/** In one process (tests, a single web process). */
export function memoryReplayGuard(now: () => number = Date.now): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    async firstSeen(key, ttlMs) {
      const t = now();
      for (const [k, until] of seen) if (until <= t) seen.delete(k);
      if (seen.has(key)) return false;
      seen.set(key, t + ttlMs);
      return true;
    },
    async forget(key) {
      seen.delete(key);
    },
  };
}

/** Shared by every web process: one key per pair, expiring by itself. */
export function redisReplayGuard(redis: Redis, keys: Pick<PushKeys, 'seenSignature'>): ReplayGuard {
  return {
    async firstSeen(key, ttlMs) {
      return (await redis.set(keys.seenSignature(key), '1', 'PX', Math.max(1, ttlMs), 'NX')) === 'OK';
    },
    async forget(key) {
      await redis.del(keys.seenSignature(key));
    },
  };
}

/** The signature header value of a body (what the local tool computes). */
export function signEvents(secret: string, timestamp: number | string, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export interface EventIntakeRouterOptions {
  hmacSecret: string;
  toleranceSeconds: number;
  now?: () => Date;
  /** Takes the events in (`EventIntake.accept`); a `ValidationError` becomes the 422. */
  accept: (events: unknown[]) => Promise<unknown>;
  /** Default: in memory (pass `redisReplayGuard` when several web processes run). */
  replayGuard?: ReplayGuard;
  /** Body size limit (default 1 MiB). */
  limit?: string | number;
  logger?: Logger;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

function refuse(res: Response, status: number, error: string, message: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error, message, ...extra });
}

/** The 422 body's issues: field errors only (a violation's `code` or `table` stays out: no value). */
function publicIssues(issues: readonly Issue[], single: boolean): Issue[] {
  return issues.map((i) => ({
    path: single ? i.path.replace(/^events\[0\]\.?/, '') : i.path,
    rule: i.rule,
    message: i.message,
  }));
}

/** An express router to mount at `/api/evenements`, before the web server's authentication. */
export function createEventIntakeRouter(options: EventIntakeRouterOptions): Router {
  const now = options.now ?? (() => new Date());
  const guard = options.replayGuard ?? memoryReplayGuard(() => now().getTime());
  const secret = options.hmacSecret;
  const toleranceMs = options.toleranceSeconds * 1000;
  const router = express.Router();

  router.post('/', express.raw({ type: () => true, limit: options.limit ?? '1mb' }), async (req: Request, res: Response) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const ts = req.get(TIMESTAMP_HEADER);
    const sig = req.get(SIGNATURE_HEADER);
    if (!ts || !sig || !TIMESTAMP.test(ts) || !SIGNATURE.test(sig)) {
      return refuse(res, 401, 'unauthorized', `${TIMESTAMP_HEADER} (unix seconds) and ${SIGNATURE_HEADER} (sha256=<hex>) are required`);
    }
    if (Math.abs(now().getTime() - Number(ts) * 1000) > toleranceMs) {
      return refuse(res, 401, 'unauthorized', 'the timestamp is outside the accepted tolerance (check the clock, sign again)');
    }
    const expected = Buffer.from(signEvents(secret, ts, body), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return refuse(res, 401, 'unauthorized', 'the signature does not match the body');
    }
    const seenKey = createHash('sha256').update(`${ts}.${sig}`).digest('hex');
    if (!(await guard.firstSeen(seenKey, 2 * toleranceMs))) {
      return refuse(res, 401, 'unauthorized', 'this signed request was already received (replay refused)');
    }

    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(res, 400, 'invalid_json', 'the body is not valid JSON');
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    const list = isObject ? (parsed as { events?: unknown }).events : undefined;
    if (!isObject || (list !== undefined && !Array.isArray(list))) {
      return refuse(res, 422, 'invalid_evenement', 'the body must be one event or {"events": [...]}', {
        errors: [{ path: list === undefined ? '' : 'events', rule: 'shape', message: 'the body must be one event or {"events": [...]}' }],
      });
    }
    const single = list === undefined;
    const events: unknown[] = single ? [parsed] : (list as unknown[]);
    try {
      const r = (await options.accept(events)) as { accepted?: number } | undefined;
      res.status(202).json({ accepted: r?.accepted ?? events.length });
    } catch (e) {
      if (e instanceof ValidationError) {
        return refuse(res, 422, 'invalid_evenement', `${e.issues.length} problem(s) in the event(s); nothing was stored`, {
          errors: publicIssues(e.issues, single),
        });
      }
      // Not stored: the same signed request may be sent again.
      await guard.forget(seenKey);
      options.logger?.error('signed events not stored', { err: e, count: events.length });
      const code = isGatewayError(e) ? e.code : 'INTERNAL';
      return refuse(res, 503, 'unavailable', `the events were not stored (${code}); send them again`);
    }
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
    if (type === 'entity.too.large') return refuse(res, 413, 'too_large', 'the body is over the size limit');
    if (type === 'request.aborted' || type === 'stream.encoding.set' || type === 'encoding.unsupported') {
      return refuse(res, 400, 'bad_request', 'the body could not be read');
    }
    next(err);
  };
  router.use(onError);
  return router;
}
