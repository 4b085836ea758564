/**
 * Replay of dead letters from their original input (design.md §5: reprocess from the original).
 *
 * - A **push** dead letter (queue `push.<target>`) or an event **refused at intake** (`push-intake`):
 *   the sealed event is opened and mapped again with the current tables (a corrected table or
 *   configuration takes effect); a dry run says what would be sent (file type, the event's block with
 *   its free texts masked, the changed field paths: never a personal value); otherwise a new job
 *   (`….replay-<n>`) is enqueued, in its demand's order, and the dead letter is marked `replayed`
 *   with who did it. A replay whose mapping still fails is refused and the dead letter stays open.
 * - A **pull** dead letter (queue `deliver`): the sealed record is delivered again.
 *
 * Each replay is counted in a run of its own (`run.replay.<dead letter>.<n>`, kind `replay`).
 *
 * Replaying a `PUSH_AMBIGUOUS` dead letter whose event cannot be read back means the operator checked
 * that the target does not hold it: the event is sent. Discarding it means the target holds it (or it
 * is given up): the demand's next events go on.
 */
import type { Queue } from 'bullmq';
import type { Demande } from '../domain';
import { Demande as DemandeSchema } from '../domain';
import type { Evenement } from '../domain/evenement';
import { PermanentError, type Issue } from '../errors';
import type { Logger } from '../logging';
import { applyDemandeChanges, prepareEvenement, translateEvenementForSne, type BlockNode, type MappingTables, type RplsLookup, type SneTranslation } from '../mapping';
import type { PayloadCipher } from '../queue/crypto';
import { execOrThrow } from '../queue/redis';
import type { Redis } from 'ioredis';
import { DeadLetterStatus, type DeadLetter, type DeadLetterStore } from '../state/dead-letters';
import type { RunStore } from '../state/runs';
import { deliverJobId, type DeliverJobData } from '../sync/deliver';
import type { LocalClient } from '../systems/local';
import { describeViolations, INTAKE_QUEUE } from './intake';
import { promoteIfDelayed, PushJobName, type PushJobData } from './jobs';
import { pushJobId, pushQueueName, replayJobId, type Target } from './keys';
import type { MappingsSource } from './mappings';
import type { PushTranslate } from './processor';
import type { PushState } from './state';

export interface ReplayDeps {
  redis: Redis;
  deadLetters: DeadLetterStore;
  runs: RunStore;
  cipher: PayloadCipher;
  tables: MappingsSource;
  state: PushState;
  /** The push queue of each target. */
  pushQueues: ReadonlyMap<Target, Queue<PushJobData>>;
  /** The pull side's delivery queue. */
  deliverQueue?: Queue<DeliverJobData>;
  /** Targets of a replayed intake dead letter when it names none (`push.targets`). */
  targets: readonly Target[];
  /** Reads the local record, to list the fields an event changes (dry run). */
  local?: Pick<LocalClient, 'getDemande'>;
  translate?: (target: Target) => PushTranslate | undefined;
  rplsLookup?: RplsLookup;
  logger: Logger;
  now?: () => Date;
}

/** What a replay would send to one target. */
export interface ReplayPlanItem {
  target: Target;
  transmit: boolean;
  /** Why it is not transmitted (`transmit: false`). */
  reason?: string;
  typeFichier?: string;
  /** The event's block, free texts masked (`‹text, 12 characters›`). */
  block?: BlockNode;
  /** Paths of the demand's fields the event changes (`radiation`, `labels[1]`...). */
  changedPaths: string[];
  /** The mapping still fails: its violations (paths and rules). */
  violations?: Issue[];
}

export interface ReplayOutcome {
  ok: boolean;
  /** Short and safe (no data): shown to the operator and kept in the audit trail. */
  message: string;
  deadLetterId: string;
  dryRun: boolean;
  plan: ReplayPlanItem[];
  /** The jobs enqueued (not in a dry run). */
  jobIds: string[];
}

export interface ReplayQuery {
  code?: string;
  system?: string;
  numUnique?: string;
  since?: string;
  until?: string;
  limit?: number;
}

const MAX_PATHS = 100;

/** Leaf paths where two JSON values differ (never the values). */
export function changedPaths(before: unknown, after: unknown, at = '', out: string[] = []): string[] {
  if (out.length >= MAX_PATHS) return out;
  if (JSON.stringify(before) === JSON.stringify(after)) return out;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) changedPaths(before[i], after[i], `${at}[${i}]`, out);
    return out;
  }
  if (isObj(before) && isObj(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) changedPaths(before[k], after[k], at ? `${at}.${k}` : k, out);
    return out;
  }
  out.push(at || '(demande)');
  return out;
}

const SAFE_TEXT = /^(?:\d{4}-\d{2}-\d{2}(?:T[0-9:.+Z-]+)?|-?\d+(?:\.\d+)?|[A-Z0-9_-]{1,20})$/;

/** A block with every text that is not a date, a number or a code masked by its length. */
export function maskBlock(block: BlockNode): BlockNode {
  const out: BlockNode = { name: block.name };
  if (block.attributes) out.attributes = { ...block.attributes };
  if (block.list) out.list = block.list;
  if (block.text !== undefined) out.text = SAFE_TEXT.test(block.text) ? block.text : `‹text, ${block.text.length} characters›`;
  if (block.children) out.children = block.children.map(maskBlock);
  return out;
}

export function createReplayer(deps: ReplayDeps) {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: 'replay' });
  const translateFor = (target: Target): PushTranslate => deps.translate?.(target) ?? translateEvenementForSne;

  const targetOfQueue = (queue: string): Target | undefined =>
    [...deps.pushQueues.keys()].find((t) => pushQueueName(t) === queue);

  async function translate(target: Target, ev: Evenement, tables: MappingTables): Promise<SneTranslation> {
    return translateFor(target)(ev, tables, deps.rplsLookup ? { rplsLookup: deps.rplsLookup } : {});
  }

  async function planItem(target: Target, ev: Evenement, tables: MappingTables): Promise<ReplayPlanItem> {
    const tr = await translate(target, ev, tables);
    if (!tr.ok) return { target, transmit: false, changedPaths: [], violations: tr.violations.map(({ path, rule, message }) => ({ path, rule, message })) };
    if (!tr.transmit) return { target, transmit: false, reason: tr.reason, changedPaths: [] };
    let paths: string[];
    const stored = deps.local ? await deps.local.getDemande(ev.numUnique) : null;
    const parsed = stored ? DemandeSchema.safeParse(stored.record) : undefined;
    const first = tr.changes[0];
    if (parsed?.success) {
      const base: Demande = parsed.data;
      paths = changedPaths(base, first?.op === 'replace' ? applyDemandeChanges(first.demande, tr.changes) : applyDemandeChanges(base, tr.changes));
    } else {
      paths = tr.changes.map((c) => (c.op === 'replace' ? '(whole demande)' : c.op === 'addLabel' ? 'labels' : c.field));
    }
    return { target, transmit: true, typeFichier: tr.typeFichier, ...(tr.block ? { block: maskBlock(tr.block) } : {}), changedPaths: paths };
  }

  /** The event of a push dead letter, from its sealed original (or the follow-up it describes). */
  function eventOf(dl: DeadLetter, data: PushJobData, tables: MappingTables): { ev?: Evenement; violations?: Issue[] } {
    if (data.followUp) {
      return {
        ev: {
          id: data.eventId,
          seq: data.seq,
          numUnique: data.numUnique,
          type: 'radiation',
          occurredAt: now().toISOString(),
          payload: { motif: data.followUp.motif, sousMotif: data.followUp.sousMotif, date: data.followUp.dueDate },
        },
      };
    }
    if (!dl.sealedInput) return { violations: [{ path: '', rule: 'input', message: 'the dead letter keeps no original input' }] };
    const p = prepareEvenement(deps.cipher.open(dl.sealedInput), tables);
    return p.ok ? { ev: p.evenement } : { violations: p.violations };
  }

  async function startRun(dl: DeadLetter, n: number, who: string, source: string, changed: number): Promise<string> {
    const runId = `run.replay.${dl.id}.${n}`;
    await deps.runs.start({ id: runId, kind: 'replay', source, trigger: `replay by ${who}` });
    const tx = deps.redis.multi();
    deps.runs.addIntake(tx, runId, { fetched: 1, valid: 1, changed });
    await execOrThrow(tx);
    return runId;
  }

  const failed = (dl: DeadLetter, dryRun: boolean, message: string, plan: ReplayPlanItem[] = []): ReplayOutcome => ({
    ok: false,
    message,
    deadLetterId: dl.id,
    dryRun,
    plan,
    jobIds: [],
  });

  async function replayPush(dl: DeadLetter, who: string, dryRun: boolean): Promise<ReplayOutcome> {
    const intake = dl.queue === INTAKE_QUEUE;
    const data = dl.job.data as unknown as PushJobData & { targets?: string[] };
    const tables = deps.tables.refresh();
    const { ev, violations } = eventOf(dl, data, tables);
    if (!ev) return failed(dl, dryRun, `the event is still refused: ${describeViolations(violations ?? [])}`);
    const targets = intake ? (data.targets?.length ? data.targets : [...deps.targets]) : [dl.system];
    const plan: ReplayPlanItem[] = [];
    for (const t of targets) plan.push(await planItem(t, ev, tables));
    const stillFailing = plan.filter((p) => p.violations);
    if (stillFailing.length) {
      return failed(dl, dryRun, `the mapping still fails: ${stillFailing.map((p) => `${p.target}: ${describeViolations(p.violations ?? [])}`).join('; ')}`, plan);
    }
    const n = (typeof data.replay === 'number' ? data.replay : 0) + 1;
    if (dryRun) return { ok: true, message: `would enqueue ${targets.length} job(s)`, deadLetterId: dl.id, dryRun, plan, jobIds: [] };

    const runId = await startRun(dl, n, who, `replay:${dl.system}`, targets.length);
    const jobIds: string[] = [];
    for (const target of targets) {
      const queue = deps.pushQueues.get(target);
      if (!queue) return failed(dl, dryRun, `no push queue for target ${target}`, plan);
      const base = pushJobId(target, ev.id);
      // An event refused at intake never had a job: it gets the ordinary id (the order promotes it).
      const jobId = intake && !(await queue.getJob(base)) ? base : replayJobId(base, n);
      const item = plan.find((p) => p.target === target);
      if (dl.code === 'PUSH_AMBIGUOUS' && item?.transmit && item.changedPaths.length === 0) {
        // The operator checked the target does not hold it: the write is sent, not checked again.
        await deps.state.clearPendingWrite(target, ev.id);
      }
      const job: PushJobData = {
        target,
        eventId: data.followUp ? data.eventId : ev.id,
        numUnique: ev.numUnique,
        seq: data.seq,
        type: ev.type,
        runId,
        replay: n,
        ...(dl.sealedInput ? { sealed: dl.sealedInput } : {}),
        ...(data.followUp ? { followUp: data.followUp } : {}),
      };
      await queue.add(data.followUp ? PushJobName.followUp : PushJobName.event, job, { jobId });
      if (!data.followUp) await deps.state.enter(target, [{ numUnique: ev.numUnique, eventId: ev.id, seq: data.seq }]);
      await promoteIfDelayed(queue, jobId);
      jobIds.push(jobId);
    }
    await deps.runs.intakeDone(runId);
    const message = `replayed as ${jobIds.join(', ')}`;
    await deps.deadLetters.close(dl.id, DeadLetterStatus.replayed, who, message);
    log.info('dead letter replayed', { deadLetterId: dl.id, user: who, code: dl.code, system: dl.system, jobId: jobIds.join(',') });
    return { ok: true, message, deadLetterId: dl.id, dryRun, plan, jobIds };
  }

  async function replayDeliver(dl: DeadLetter, who: string, dryRun: boolean): Promise<ReplayOutcome> {
    const data = dl.job.data as unknown as DeliverJobData & { replay?: number };
    if (!dl.sealedInput || !deps.deliverQueue) return failed(dl, dryRun, dl.sealedInput ? 'no delivery queue here' : 'the dead letter keeps no original input');
    const record = deps.cipher.open(dl.sealedInput);
    let paths = ['(whole demande)'];
    const stored = deps.local ? await deps.local.getDemande(data.numUnique) : null;
    if (stored) paths = changedPaths(stored.record, record);
    const plan: ReplayPlanItem[] = [{ target: 'local', transmit: true, changedPaths: paths }];
    const n = (data.replay ?? 0) + 1;
    if (dryRun) return { ok: true, message: 'would deliver the record to the local tool again', deadLetterId: dl.id, dryRun, plan, jobIds: [] };
    const runId = await startRun(dl, n, who, `replay:${data.source}`, 1);
    const jobId = replayJobId(deliverJobId(data.source, data.numUnique, data.hash), n);
    await deps.deliverQueue.add('deliver', { ...data, runId, sealed: dl.sealedInput, replay: n } as DeliverJobData, { jobId });
    await deps.runs.intakeDone(runId);
    const message = `replayed as ${jobId}`;
    await deps.deadLetters.close(dl.id, DeadLetterStatus.replayed, who, message);
    log.info('dead letter replayed', { deadLetterId: dl.id, user: who, code: dl.code, system: dl.system, jobId });
    return { ok: true, message, deadLetterId: dl.id, dryRun, plan, jobIds: [jobId] };
  }

  /** Replays one dead letter (or says, in a dry run, what it would send). */
  async function replayDeadLetter(options: { id: string; who: string; dryRun?: boolean }): Promise<ReplayOutcome> {
    const dryRun = options.dryRun ?? false;
    const dl = await deps.deadLetters.get(options.id);
    if (!dl) throw new PermanentError('DEAD_LETTER_UNKNOWN', 'no dead letter with this id', { details: { deadLetterId: options.id } });
    if (dl.status !== DeadLetterStatus.open && !dryRun) return failed(dl, dryRun, `this dead letter is already ${dl.status}`);
    if (dl.queue === 'deliver') return replayDeliver(dl, options.who, dryRun);
    if (dl.queue === INTAKE_QUEUE || targetOfQueue(dl.queue) !== undefined) return replayPush(dl, options.who, dryRun);
    return failed(dl, dryRun, `dead letters of queue ${dl.queue} are not replayed here`);
  }

  /** Replays every open dead letter a query finds, oldest first. */
  async function replayByQuery(query: ReplayQuery, options: { who: string; dryRun?: boolean }): Promise<ReplayOutcome[]> {
    const found = await deps.deadLetters.search({ ...query, status: DeadLetterStatus.open, limit: query.limit ?? 1_000 });
    const out: ReplayOutcome[] = [];
    for (const dl of found.reverse()) out.push(await replayDeadLetter({ id: dl.id, who: options.who, ...(options.dryRun ? { dryRun: true } : {}) }));
    return out;
  }

  /**
   * Discards a dead letter: closed with who did it; for a push event, its order entry is removed and the
   * demand's next event starts (the operator decided the target holds it, or gave it up).
   */
  async function discardDeadLetter(options: { id: string; who: string; detail?: string }): Promise<{ ok: boolean; message: string }> {
    const dl = await deps.deadLetters.get(options.id);
    if (!dl) throw new PermanentError('DEAD_LETTER_UNKNOWN', 'no dead letter with this id', { details: { deadLetterId: options.id } });
    if (dl.status !== DeadLetterStatus.open) return { ok: false, message: `this dead letter is already ${dl.status}` };
    const target = targetOfQueue(dl.queue);
    let message = 'discarded';
    if (target !== undefined) {
      const data = dl.job.data as unknown as PushJobData;
      const next = await deps.state.leaveOrder(target, data.numUnique, data.eventId);
      if (next !== undefined) {
        await promoteIfDelayed(deps.pushQueues.get(target)!, pushJobId(target, next));
        message = 'discarded; the demand\'s next event goes on';
      }
    }
    await deps.deadLetters.close(dl.id, DeadLetterStatus.discarded, options.who, options.detail ?? message);
    log.info('dead letter discarded', { deadLetterId: dl.id, user: options.who, code: dl.code, system: dl.system });
    return { ok: true, message };
  }

  return { replayDeadLetter, replayByQuery, discardDeadLetter };
}

export type Replayer = ReturnType<typeof createReplayer>;
