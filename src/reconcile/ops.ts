/**
 * What is stuck inside the gateway, read from its own stores: conflicts (409), open dead letters,
 * quarantined records, and pushes pending (the push queues' jobs and the per-demand order sets). Each
 * becomes a finding of its category, and an index by demand and by event lets the comparison say where a
 * demand stopped.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorClass, Issue } from '../errors';
import type { Keys } from '../queue/keys';
import type { ConflictStore } from '../state/conflicts';
import { DeadLetterStatus, type DeadLetterStore } from '../state/dead-letters';
import type { QuarantineStore } from '../state/quarantine';
import type { DeadLetterRef } from './classify';
import { Category, Fix, type Finding } from './types';

/** The ledger system name of the local tool (deliveries go there). */
export const LOCAL_SYSTEM = 'local';

export interface OpsDeps {
  redis: Redis;
  keys: Keys;
  conflicts: Pick<ConflictStore, 'list'>;
  deadLetters: Pick<DeadLetterStore, 'search'>;
  quarantine: Pick<QuarantineStore, 'list' | 'count'>;
  /** The push queues (`push.sne`...): their waiting, delayed and active jobs are pending pushes. */
  pushQueues: readonly Queue[];
}

export interface DemandeOps {
  quarantined?: boolean;
  conflict?: boolean;
  pushPending?: boolean;
  deliverDeadLetter?: DeadLetterRef;
  pushDeadLetter?: DeadLetterRef;
}

export interface OpsSnapshot {
  findings: Record<'conflict' | 'dead-letter' | 'quarantined' | 'push-pending', Finding[]>;
  byNumUnique: Map<string, DemandeOps>;
  /** Event ids with a pending push, and with an open dead letter. */
  pendingEvents: Set<string>;
  deadLetterByEvent: Map<string, string>;
  problems: Issue[];
}

/** Most items read from one store; more is a problem worth a line in the report, not a crash. */
export const STORE_LIMIT = 100_000;

const PENDING_STATES = ['wait', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export async function collectOps(deps: OpsDeps, system: string): Promise<OpsSnapshot> {
  const byNumUnique = new Map<string, DemandeOps>();
  const ops = (nu: string): DemandeOps => {
    let o = byNumUnique.get(nu);
    if (!o) byNumUnique.set(nu, (o = {}));
    return o;
  };
  const problems: Issue[] = [];
  const findings: OpsSnapshot['findings'] = { conflict: [], 'dead-letter': [], quarantined: [], 'push-pending': [] };
  const pendingEvents = new Set<string>();
  const deadLetterByEvent = new Map<string, string>();

  for (const c of await deps.conflicts.list()) {
    ops(c.numUnique).conflict = true;
    findings.conflict.push({
      kind: Category.conflict,
      numUnique: c.numUnique,
      reason: 'local-changed-since-sync',
      detail: `source ${c.source}; expected version ${c.expectedVersion ?? '-'}, local tool holds ${c.currentVersion ?? '-'}`,
      refs: { source: c.source },
      data: { at: c.at, ...(c.expectedVersion !== undefined ? { expectedVersion: c.expectedVersion } : {}), ...(c.currentVersion !== undefined ? { currentVersion: c.currentVersion } : {}) },
    });
  }

  const dls = await deps.deadLetters.search({ status: DeadLetterStatus.open, limit: STORE_LIMIT });
  if (dls.length >= STORE_LIMIT) problems.push({ path: 'dead-letters', rule: 'truncated', message: `more than ${STORE_LIMIT} open dead letters: only the newest are listed` });
  for (const dl of dls) {
    const eventId = str(dl.job?.data?.eventId);
    if (eventId) deadLetterByEvent.set(eventId, dl.id);
    const ref: DeadLetterRef = { id: dl.id, errorClass: dl.errorClass as ErrorClass };
    if (dl.numUnique) {
      const o = ops(dl.numUnique);
      if (dl.system === LOCAL_SYSTEM) o.deliverDeadLetter ??= ref;
      else if (dl.system === system) o.pushDeadLetter ??= ref;
    }
    findings['dead-letter'].push({
      kind: Category.deadLetter,
      ...(dl.numUnique ? { numUnique: dl.numUnique } : {}),
      reason: dl.code,
      detail: `${dl.errorClass} on ${dl.queue} -> ${dl.system}, ${dl.attempts} attempt(s): ${dl.message}`,
      refs: { deadLetterId: dl.id, queue: dl.queue, system: dl.system, ...(eventId ? { eventId } : {}) },
      data: { at: dl.at, errorClass: dl.errorClass, attempts: dl.attempts },
      ...(dl.errorClass === 'transient' ? { fix: Fix.replay } : {}),
    });
  }

  const qCount = await deps.quarantine.count();
  const quarantined = await deps.quarantine.list({ limit: Math.min(qCount, STORE_LIMIT) });
  if (qCount > STORE_LIMIT) problems.push({ path: 'quarantine', rule: 'truncated', message: `more than ${STORE_LIMIT} quarantined records: only the newest are listed` });
  for (const q of quarantined) {
    if (q.numUnique) ops(q.numUnique).quarantined = true;
    const where = [q.source, q.file, q.index !== undefined ? `#${q.index}` : undefined].filter(Boolean).join(' ');
    findings.quarantined.push({
      kind: Category.quarantined,
      ...(q.numUnique ? { numUnique: q.numUnique } : {}),
      reason: q.issues[0]?.rule ?? 'invalid',
      detail: where,
      fields: [...new Set(q.issues.map((i) => i.path || '(record)'))],
      refs: { quarantineId: q.id, source: q.source },
      data: { at: q.at, issues: q.issues.length },
    });
  }

  // Pushes pending: the jobs of the push queues, then the per-demand order sets (events entered and not
  // yet acknowledged, whose job may be waiting behind an earlier one of the same demand).
  const seen = new Set<string>();
  for (const queue of deps.pushQueues) {
    for (const state of PENDING_STATES) {
      for (let start = 0; ; start += 1000) {
        const jobs = await queue.getJobs([state], start, start + 999, true);
        for (const job of jobs) {
          if (!job) continue;
          const data = (job.data ?? {}) as Record<string, unknown>;
          const nu = str(data.numUnique);
          const eventId = str(data.eventId);
          const target = str(data.target);
          if (target && target !== system) continue;
          if (eventId) pendingEvents.add(eventId);
          if (nu) ops(nu).pushPending = true;
          seen.add(`${target ?? ''}|${eventId ?? job.id}`);
          findings['push-pending'].push({
            kind: Category.pushPending,
            ...(nu ? { numUnique: nu } : {}),
            reason: state,
            detail: `${str(data.type) ?? job.name} on ${queue.name}`,
            refs: { queue: queue.name, ...(job.id ? { jobId: job.id } : {}), ...(eventId ? { eventId } : {}), ...(target ? { target } : {}) },
            data: { since: new Date(job.timestamp).toISOString(), ...(typeof data.seq === 'number' ? { seq: data.seq } : {}) },
          });
        }
        if (jobs.length < 1000) break;
      }
    }
  }
  const probe = deps.keys.pushOrder('\u0000', '\u0001');
  const head = probe.slice(0, probe.indexOf('\u0000'));
  let cursor = '0';
  do {
    const [next, keys] = await deps.redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const rest = key.slice(head.length);
      const cut = rest.lastIndexOf(':');
      if (cut <= 0) continue;
      const target = rest.slice(0, cut);
      const nu = rest.slice(cut + 1);
      if (target !== system) continue;
      const members = (await deps.redis.zrange(key, 0, '-1', 'WITHSCORES')) as string[];
      for (let i = 0; i < members.length; i += 2) {
        const eventId = members[i]!;
        pendingEvents.add(eventId);
        ops(nu).pushPending = true;
        if (seen.has(`${target}|${eventId}`)) continue;
        seen.add(`${target}|${eventId}`);
        findings['push-pending'].push({
          kind: Category.pushPending,
          numUnique: nu,
          reason: 'ordered',
          detail: `waiting in the demand's order for ${target}`,
          refs: { target, eventId },
          data: { seq: Number(members[i + 1]) },
        });
      }
    }
  } while (cursor !== '0');

  return { findings, byNumUnique, pendingEvents, deadLetterByEvent, problems };
}
