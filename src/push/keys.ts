/**
 * Names of the push pipeline: its queues, its job ids and the Redis keys it adds to those of
 * `src/queue/keys.ts`. Job ids are deterministic, so the same event arriving twice (the feed and the
 * HMAC endpoint, a page replayed after a crash) is one job.
 */
import { createHash } from 'node:crypto';
import type { Keys } from '../queue/keys';

/** Targets of the push: `sne`, `spta:35`. */
export type Target = string;

/**
 * BullMQ refuses `:` in queue names and job ids. An event id holding one is written with `_` and a
 * short hash of the original, so that `a:b` and `a_b` stay two ids.
 */
const safeId = (s: string): string => (s.includes(':') ? `${s.replace(/:/g, '_')}-${createHash('sha256').update(s).digest('hex').slice(0, 8)}` : s);

/** A target in a name: `spta:35` -> `spta_35` (targets are `sne` and `spta:<id>`: no two map to one name). */
const safeTarget = (target: Target): string => target.replace(/:/g, '_');

/** The queue of one target (`push.sne`, `push.spta_35`): one queue per target so its rate limit applies. */
export function pushQueueName(target: Target): string {
  return `push.${safeTarget(target)}`;
}

/** The job of an event for a target: `push.<target>.<eventId>`. */
export function pushJobId(target: Target, eventId: string): string {
  return `push.${safeTarget(target)}.${safeId(eventId)}`;
}

/** A replay of a dead-lettered job: `push.<target>.<eventId>.replay-<n>`. */
export function replayJobId(baseJobId: string, n: number): string {
  return `${baseJobId.replace(/\.replay-\d+$/, '')}.replay-${n}`;
}

/** The event id of a follow-up radiation due after a non-receivability decision. */
export function followUpEventId(eventId: string): string {
  return `${eventId}.radirr`;
}

/** The keys the push adds, derived from the gateway's prefix (see `pushKeys`). */
export interface PushKeys {
  /** Sorted set per (target, demand): pending event ids scored by `seq`. */
  order(target: Target, numUnique: string): string;
  /** Hash per target: eventId -> `IdempotencyEntry` (the target acknowledged it). */
  idempotency(target: Target): string;
  /** Hash per target: eventId -> a write sent whose outcome is not known yet. */
  pending(target: Target): string;
  /** Hash: `<target>|<eventId>` -> follow-up radiation (scheduled or flagged). */
  followUps: string;
  /** Hash: target -> the run id intake counts go to now. */
  currentRuns: string;
  /** (timestamp, signature) pairs already accepted by the HMAC endpoint. */
  seenSignature(digest: string): string;
}

/**
 * The push's keys. `order` and `idempotency` are those of `src/queue/keys.ts`; the others are derived
 * from the same prefix until they are added there.
 */
export function pushKeys(keys: Keys): PushKeys {
  const prefix = keys.all.slice(0, -2);
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    order: (target, numUnique) => keys.pushOrder(target, numUnique),
    idempotency: (target) => keys.idempotency(target),
    pending: (target) => k('push', 'pending', target),
    followUps: k('push', 'follow-ups'),
    currentRuns: k('push', 'runs'),
    seenSignature: (digest) => k('push', 'seen', digest),
  };
}
