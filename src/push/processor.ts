/**
 * The push worker of one target (design.md §3.2-§3.4): sends each local event to the SNE (or an SPTA)
 * once, in its demand's order, and reports the outcome to the local tool.
 *
 * For one job:
 * 1. **idempotency**: an event the target already acknowledged has no second effect (the job only makes
 *    sure the acknowledgement was sent and the order entry is gone);
 * 2. **order**: only the head of the demand's order is sent; any other waits (delayed, with a growing
 *    delay) and is promoted at once when the event before it completes. A stuck head (dead letter)
 *    blocks its own demand only;
 * 3. the **circuit** of the target: while open, jobs wait without spending attempts;
 * 4. the event is **mapped again** from its sealed original (current tables), the demand to send is
 *    the local tool's record with the event's changes applied (a rectification carries the whole
 *    record), and it is submitted;
 * 5. **failures**: transient -> retried with backoff (acknowledged `retrying` once); permanent -> dead
 *    letter and `rejected`; **ambiguous** (the answer of a write was lost) -> the demand is read back:
 *    the event's effect is there -> done; not there -> sent again; not visible in a demand (CAL decision,
 *    visit, designation...) -> parked for an operator, never resent blindly.
 *
 * Choice for a parked event: it is acknowledged `retrying` with code `PUSH_AMBIGUOUS`, not `rejected`:
 * the event may well have reached the target, and it is not given up (an operator replays or discards
 * it). `rejected` would tell the local tool something that may be false.
 */
import { DelayedError, type Job, type Queue } from 'bullmq';
import { Demande } from '../domain';
import type { Evenement } from '../domain/evenement';
import { issuesFromZod } from '../domain/validate';
import {
  AmbiguousError,
  classOf,
  ErrorClass,
  isGatewayError,
  PermanentError,
  toSafeError,
  TransientError,
  ValidationError,
  type GatewayError,
} from '../errors';
import type { Logger } from '../logging';
import {
  applyDemandeChanges,
  prepareEvenement,
  translateEvenementForSne,
  type DemandeChange,
  type FollowUp,
  type MappingTables,
  type RplsLookup,
  type SneTranslateOptions,
  type SneTranslation,
} from '../mapping';
import type { Circuit } from '../queue/circuit';
import type { PayloadCipher } from '../queue/crypto';
import type { DemandLocks } from '../queue/locks';
import { classifiedProcessor, type FinalFailure } from '../queue/retry';
import { DeadLetterStatus, type DeadLetterStore } from '../state/dead-letters';
import type { Outcome, RunStore } from '../state/runs';
import { normalisedHash } from '../sync/hash';
import type { LocalClient, NewAcquittement } from '../systems/local';
import type { DemandSystem } from '../systems/port';
import { describeViolations, IntakeCode } from './intake';
import { promoteIfDelayed, PushJobName, type PushJobData } from './jobs';
import { followUpEventId, pushJobId, replayJobId, type Target } from './keys';
import type { MappingsSource } from './mappings';
import { FollowUpMode, FollowUpStatus, type IdempotencyEntry, type PushState } from './state';

/** Codes the push raises itself. */
export const PushCode = {
  /** The outcome of a write is unknown and cannot be read back: an operator decides. */
  ambiguous: 'PUSH_AMBIGUOUS',
  /** A write whose answer was lost did not take effect (read back): sent again. */
  notApplied: 'PUSH_NOT_APPLIED',
  /** The local tool has no demand for the event. */
  demandeUnknown: 'PUSH_DEMANDE_UNKNOWN',
  /** The local tool's record of the demand is not a valid canonical demand. */
  demandeInvalid: 'PUSH_DEMANDE_INVALID',
  /** The event breaks a rule of the mapping tables (fix the table, then replay). */
  mapping: 'MAPPING_VIOLATION',
  /** The follow-up radiation was sent (acknowledged on the decision event). */
  radirrSent: 'RADIRR_SENT',
  /** The follow-up radiation was not sent (the tables keep it out; acknowledged on the decision event). */
  radirrNotSent: 'RADIRR_NOT_SENT',
} as const;

/** The codes that mark a follow-up's acknowledgement apart from its decision event's own. */
const FOLLOW_UP_ACK_CODES: ReadonlySet<string> = new Set([PushCode.radirrSent, PushCode.radirrNotSent]);

/** How an event is mapped for a target (an SPTA applies its profile on top of the SNE mapping). */
export type PushTranslate = (evenement: Evenement, tables: MappingTables, options: SneTranslateOptions) => Promise<SneTranslation>;

export interface PushProcessorDeps {
  target: Target;
  system: DemandSystem;
  local: Pick<LocalClient, 'getDemande' | 'acknowledge' | 'listAcquittements'>;
  tables: MappingsSource;
  state: PushState;
  /** This target's queue: to promote the next event of a demand and to schedule follow-ups. */
  queue: Queue<PushJobData>;
  cipher: PayloadCipher;
  circuit: Circuit;
  locks: DemandLocks;
  deadLetters: DeadLetterStore;
  runs: RunStore;
  logger: Logger;
  now?: () => Date;
  /** A radiation due after a non-receivability decision: a delayed job (default) or a flag only. */
  radiationIrrecevabilite?: FollowUpMode;
  /** Default `translateEvenementForSne`. */
  translate?: PushTranslate;
  /** Asks the local tool for an RPLS id the event and the tables lack. */
  rplsLookup?: RplsLookup;
  /** Waits of a job behind its demand's earlier events: `baseMs` doubling up to `maxMs`. */
  wait?: { baseMs: number; maxMs: number };
  /** Delay before trying again a demand another job holds (default 50 ms). */
  lockRetryMs?: number;
}

export type PushResult = 'delivered' | 'verified' | 'already-delivered' | 'not-transmitted';

type Translated = Extract<SneTranslation, { ok: true; transmit: true }>;

/** An outcome committed under the lock, and what follows it outside. */
interface Done {
  result: PushResult;
  after: () => Promise<void>;
}

/** Waits of a job whose order entry is not committed yet: short, growing, capped. */
const ENTRY_WAIT_MS = 25;
const ENTRY_WAIT_MAX_MS = 2_000;
/** Waits without an order entry (about 30 s) before a job enters its event itself. */
const ENTER_SELF_AFTER_WAITS = 20;
/** A job waiting this many times behind the same demand looks whether the head was discarded. */
const DISCARD_CHECK_AFTER_WAITS = 3;

const isCircuitOpen = (e: unknown): e is GatewayError => isGatewayError(e) && e.code === 'CIRCUIT_OPEN';

export function createPushProcessor(deps: PushProcessorDeps) {
  const { target, state } = deps;
  const now = deps.now ?? (() => new Date());
  const translate: PushTranslate = deps.translate ?? translateEvenementForSne;
  const waitBase = deps.wait?.baseMs ?? 500;
  const waitMax = deps.wait?.maxMs ?? 60_000;
  const lockRetryMs = deps.lockRetryMs ?? 50;
  const mode = deps.radiationIrrecevabilite ?? FollowUpMode.schedule;
  const log = deps.logger.child({ target, component: 'push' });

  /** The local event an acknowledgement goes to (a follow-up reports on its decision). */
  const ackIdOf = (d: PushJobData): string => d.followUp?.of ?? d.eventId;

  async function acknowledge(d: PushJobData, ack: Omit<NewAcquittement, 'target' | 'at'>): Promise<void> {
    await deps.local.acknowledge(ackIdOf(d), { ...ack, target, at: now().toISOString() });
  }

  async function delayed(job: Job<PushJobData>, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + ms, job.token);
    throw new DelayedError();
  }

  async function settle(d: PushJobData, outcome: Outcome): Promise<void> {
    if (d.runId) await deps.runs.settle(d.runId, `${target}.${d.eventId}`, outcome);
  }

  /** Starts the next event of the demand now, if its job waits. */
  async function promote(next: string | undefined): Promise<void> {
    if (next !== undefined) await promoteIfDelayed(deps.queue, pushJobId(target, next));
  }

  /** `retrying` is said once per job, not at every retry; a failed acknowledgement is tried again next time. */
  async function ackRetryingOnce(job: Job<PushJobData>, e: unknown, code?: string): Promise<void> {
    if (job.data.retryingAcked) return;
    const safe = toSafeError(e);
    try {
      await acknowledge(job.data, { status: 'retrying', code: code ?? safe.code, message: `${target}: ${safe.message}; tried again automatically` });
      await job.updateData({ ...job.data, retryingAcked: true });
    } catch (ackError) {
      // The acknowledgement is advisory here: the job's own error (rethrown by the caller) decides.
      log.warn('acknowledgement "retrying" not sent; tried again at the next attempt', { eventId: job.data.eventId, err: ackError });
    }
  }

  // ---- mapping ---------------------------------------------------------------------------------

  function eventOf(d: PushJobData, tables: MappingTables): Evenement {
    if (d.followUp) {
      return {
        id: d.eventId,
        seq: d.seq,
        numUnique: d.numUnique,
        type: 'radiation',
        occurredAt: now().toISOString(),
        payload: { motif: d.followUp.motif, sousMotif: d.followUp.sousMotif, date: d.followUp.dueDate },
      };
    }
    if (!d.sealed) throw new PermanentError(IntakeCode.invalid, 'the job carries no event', { system: target });
    const p = prepareEvenement(deps.cipher.open(d.sealed), tables);
    if (p.ok) return p.evenement;
    const code = p.violations.some((v) => v.rule === 'unknown-local-code') ? IntakeCode.unknownLocalCode : IntakeCode.invalid;
    throw new ValidationError(code, p.violations, { system: target });
  }

  /** The demand as it must stand at the target after the event. */
  async function demandeFor(d: PushJobData, changes: readonly DemandeChange[]): Promise<{ base: Demande; demande: Demande }> {
    const first = changes[0];
    if (first?.op === 'replace') return { base: first.demande, demande: applyDemandeChanges(first.demande, changes) };
    const stored = await deps.local.getDemande(d.numUnique);
    if (!stored) {
      throw new PermanentError(PushCode.demandeUnknown, 'the local tool has no demand for this event (GET /demandes/{numUnique} answered 404)', {
        system: 'local',
      });
    }
    const parsed = Demande.safeParse(stored.record);
    if (!parsed.success) {
      const issues = issuesFromZod(parsed.error).map((i) => ({ ...i, path: `demande.${i.path}` }));
      throw new ValidationError(PushCode.demandeInvalid, issues, { system: 'local' });
    }
    const base = { ...parsed.data, numUnique: d.numUnique };
    return { base, demande: applyDemandeChanges(base, changes) };
  }

  // ---- outcomes --------------------------------------------------------------------------------
  //
  // An outcome is committed under the demand's lock (idempotency entry, order entry removed); what
  // follows (start the next event, acknowledge, count) runs after the lock is released, so that the
  // next event of the demand starts at once.

  /**
   * Acknowledges to the local tool. A permanent refusal (the local tool does not know the event) must
   * not turn a delivered event into a failure: it is logged and the event stays unacknowledged in the
   * idempotency ledger (`acked: false`) for the reconciliation. A transient failure is thrown: retried.
   */
  async function acknowledgeOrReport(d: PushJobData, ack: Omit<NewAcquittement, 'target' | 'at'>): Promise<boolean> {
    try {
      await acknowledge(d, ack);
      return true;
    } catch (e) {
      if (classOf(e) !== ErrorClass.permanent) throw e;
      log.error('acknowledgement refused by the local tool: not retried', { eventId: d.eventId, status: ack.status, err: e });
      return false;
    }
  }

  async function ackDelivered(d: PushJobData, entry: IdempotencyEntry, message: string, code?: string): Promise<void> {
    if (await acknowledgeOrReport(d, { status: 'delivered', message, ...(code ? { code } : {}) })) await state.markAcked(target, d.eventId, entry);
  }

  /**
   * True when the local tool already holds this job's `delivered` acknowledgement from this target: a
   * crash between sending it and recording it (`markAcked`) leaves the ledger saying "not acknowledged".
   * The acknowledgements endpoint appends, so the contract is to read the list back before a resend.
   */
  async function deliveredAckSent(d: PushJobData): Promise<boolean> {
    let acks;
    try {
      acks = await deps.local.listAcquittements(ackIdOf(d));
    } catch (e) {
      // As for sending one (`acknowledgeOrReport`): a permanent refusal does not undo a delivered event.
      if (classOf(e) !== ErrorClass.permanent) throw e;
      log.error('acknowledgements of the event not readable: not retried', { eventId: d.eventId, err: e });
      return false;
    }
    // A follow-up reports on its decision event, which has its own `delivered`: told apart by the code.
    return acks.some((a) => a.status === 'delivered' && a.target === target && FOLLOW_UP_ACK_CODES.has(a.code ?? '') === (d.followUp !== undefined));
  }

  async function scheduleFollowUp(d: PushJobData, f: FollowUp): Promise<void> {
    if (await state.followUp(target, d.eventId)) return;
    const base = { target, eventId: d.eventId, numUnique: d.numUnique, motif: f.radiation.motif, sousMotif: f.radiation.sousMotif, dueDate: f.radiation.dueDate, at: now().toISOString() };
    if (mode === FollowUpMode.flag) {
      await state.putFollowUp({ ...base, mode, status: FollowUpStatus.flagged });
      return;
    }
    const eventId = followUpEventId(d.eventId);
    const jobId = pushJobId(target, eventId);
    const dueAt = Date.parse(`${f.radiation.dueDate}T00:00:00.000Z`);
    await deps.queue.add(
      PushJobName.followUp,
      {
        target,
        eventId,
        numUnique: d.numUnique,
        seq: d.seq,
        type: 'radiation',
        followUp: { of: d.eventId, motif: f.radiation.motif, sousMotif: f.radiation.sousMotif, dueDate: f.radiation.dueDate },
      },
      { jobId, delay: Math.max(0, dueAt - now().getTime()) },
    );
    await state.putFollowUp({ ...base, mode, status: FollowUpStatus.scheduled, jobId });
  }

  async function succeed(job: Job<PushJobData>, tr: Translated, result: PushResult): Promise<Done> {
    const d = job.data;
    // Before the commit: a crash after it could otherwise lose the follow-up (both steps are idempotent).
    if (tr.followUp) await scheduleFollowUp(d, tr.followUp);
    const entry: IdempotencyEntry = { at: now().toISOString(), numUnique: d.numUnique, typeFichier: tr.typeFichier, transmitted: true, acked: false, ...(job.id ? { jobId: job.id } : {}) };
    const next = await state.complete(target, d.numUnique, d.eventId, entry);
    return {
      result,
      after: async () => {
        await promote(next);
        await deps.circuit.success(target);
        if (d.followUp) {
          const f = await state.followUp(target, d.followUp.of);
          if (f) await state.putFollowUp({ ...f, status: FollowUpStatus.sent });
          await ackDelivered(d, entry, `${d.followUp.motif} radiation (${d.followUp.sousMotif}) due ${d.followUp.dueDate} sent to ${target} as ${tr.typeFichier}`, PushCode.radirrSent);
        } else {
          await ackDelivered(d, entry, `sent to ${target} as ${tr.typeFichier}${result === 'verified' ? ' (confirmed by reading the demand back)' : ''}`);
        }
        await settle(d, 'delivered');
        log.info('event sent', { eventId: d.eventId, numUnique: d.numUnique, jobId: job.id, typeFichier: tr.typeFichier, status: result });
      },
    };
  }

  /** Completes an event that is not sent to this target (acknowledged `delivered`, saying why). */
  async function notSent(job: Job<PushJobData>, reason: string): Promise<Done> {
    const d = job.data;
    const entry: IdempotencyEntry = { at: now().toISOString(), numUnique: d.numUnique, transmitted: false, acked: false, ...(job.id ? { jobId: job.id } : {}) };
    const next = await state.complete(target, d.numUnique, d.eventId, entry);
    return {
      result: 'not-transmitted',
      after: async () => {
        await promote(next);
        await ackDelivered(d, entry, `not transmitted to ${target}: ${reason}`, d.followUp ? PushCode.radirrNotSent : undefined);
        await settle(d, 'delivered');
      },
    };
  }

  /** A job whose event the target already acknowledged: no second effect. */
  async function alreadyDone(job: Job<PushJobData>, entry: IdempotencyEntry): Promise<Done> {
    const d = job.data;
    const next = await state.leaveOrder(target, d.numUnique, d.eventId);
    return {
      result: 'already-delivered',
      after: async () => {
        await promote(next);
        if (!entry.acked) {
          if (await deliveredAckSent(d)) await state.markAcked(target, d.eventId, entry);
          else {
            const code = d.followUp ? (entry.transmitted ? PushCode.radirrSent : PushCode.radirrNotSent) : undefined;
            await ackDelivered(d, entry, entry.transmitted ? `sent to ${target} as ${entry.typeFichier ?? 'a file'}` : `not transmitted to ${target}`, code);
          }
        }
        await settle(d, 'delivered');
        log.info('event already acknowledged by the target: no second effect', { eventId: d.eventId, jobId: job.id });
      },
    };
  }

  // ---- the ambiguous case ----------------------------------------------------------------------

  /**
   * After a write whose outcome is unknown: `applied` when the event's changes are already in the
   * demand the target returns (applying them again changes nothing), `absent` when they are not (a
   * resend is safe). An event that changes nothing in the demand cannot be checked: parked.
   */
  async function verify(d: PushJobData, tr: Translated, cause: string): Promise<'applied' | 'absent'> {
    if (tr.changes.length === 0) {
      throw new AmbiguousError(
        PushCode.ambiguous,
        `${cause}; a ${tr.typeFichier} of a ${d.type} event changes nothing a read of the demand shows, so it was not sent again: an operator must check the demand at ${target}, then replay or discard`,
        { system: target, details: { typeFichier: tr.typeFichier, eventType: d.type } },
      );
    }
    let remote;
    try {
      remote = await deps.system.getDemande(d.numUnique);
    } catch (e) {
      if (classOf(e) !== ErrorClass.permanent) await deps.circuit.failure(target);
      throw e;
    }
    if (remote === null) return 'absent';
    if (!remote.ok) {
      throw new AmbiguousError(PushCode.ambiguous, `${cause}; the demand read back from ${target} is not readable (${remote.issues.length} issue(s)): an operator must check it`, {
        system: target,
      });
    }
    const before = normalisedHash(remote.demande);
    const after = normalisedHash(applyDemandeChanges(remote.demande, tr.changes));
    return before !== undefined && before === after ? 'applied' : 'absent';
  }

  // ---- one job ---------------------------------------------------------------------------------

  /** True when the job may go now: its event is the demand's head, or already acknowledged. */
  async function mayGo(d: PushJobData): Promise<{ go: boolean; entered: boolean; head?: string }> {
    if (d.followUp) await state.enterAfter(target, d.numUnique, d.eventId, d.seq);
    const s = await state.standing(target, d.numUnique, d.eventId);
    return { go: s.done !== undefined || s.head === d.eventId, entered: s.entered, ...(s.head === undefined ? {} : { head: s.head }) };
  }

  /**
   * True when the head's last dead letter was discarded (by any path: the web view, the CLI): the
   * operator gave it up, so it no longer holds its demand.
   */
  async function headDiscarded(head: string): Promise<boolean> {
    const base = pushJobId(target, head);
    let last = await deps.deadLetters.get(base);
    if (!last) return false;
    for (let n = 1; n <= 50; n++) {
      const next = await deps.deadLetters.get(replayJobId(base, n));
      if (!next) break;
      last = next;
    }
    return last.status === DeadLetterStatus.discarded;
  }

  /**
   * Behind an earlier event of the demand (or its order entry not committed yet): wait, with a growing
   * delay. The event before it promotes it when done; checking again once delayed closes the gap where
   * that promotion came while this job was still running.
   */
  async function waitTurn(job: Job<PushJobData>, entered: boolean, head?: string): Promise<never> {
    const d = job.data;
    const waits = (d.waits ?? 0) + 1;
    if (head !== undefined && waits >= DISCARD_CHECK_AFTER_WAITS && (await headDiscarded(head))) {
      await state.leaveOrder(target, d.numUnique, head);
      log.info('discarded event left its demand\'s order', { eventId: head, numUnique: d.numUnique });
      return delayed(job, 0);
    }
    // Its own order entry not there yet: the intake commits it just after adding the job (or, after a
    // crash, when the page is read again); nothing will promote it, so it looks again soon. Still not
    // there after a long while (an event the feed does not list): it enters by itself.
    if (!entered && waits >= ENTER_SELF_AFTER_WAITS) {
      await state.enter(target, [{ numUnique: d.numUnique, eventId: d.eventId, seq: d.seq }]);
      log.warn('event entered its demand\'s order by itself (its intake did not commit it)', { eventId: d.eventId, numUnique: d.numUnique, jobId: job.id });
    }
    const delay = entered ? Math.min(waitBase * 2 ** (waits - 1), waitMax) : Math.min(ENTRY_WAIT_MS * 2 ** (waits - 1), ENTRY_WAIT_MAX_MS);
    await job.updateData({ ...d, waits });
    await job.moveToDelayed(Date.now() + delay, job.token);
    if (job.id && (await mayGo(job.data)).go) await promoteIfDelayed(deps.queue, job.id);
    throw new DelayedError();
  }

  async function handle(job: Job<PushJobData>): Promise<Done> {
    const d = job.data;
    const s = await state.standing(target, d.numUnique, d.eventId);
    if (s.done) return alreadyDone(job, s.done);
    if (s.head !== d.eventId) return waitTurn(job, s.entered, s.head);

    try {
      await deps.circuit.check(target);
    } catch (e) {
      if (!isCircuitOpen(e)) throw e;
      // An open circuit is the target's state, not this job's failure: wait without spending an attempt.
      await ackRetryingOnce(job, e);
      return delayed(job, (e.retryAfterSeconds ?? 1) * 1000 + Math.floor(Math.random() * 250));
    }

    const tables = d.replay ? deps.tables.refresh() : deps.tables.get();
    const evenement = eventOf(d, tables);
    const tr = await translate(evenement, tables, deps.rplsLookup ? { rplsLookup: deps.rplsLookup } : {});
    if (!tr.ok) throw new ValidationError(PushCode.mapping, tr.violations, { system: target });
    if (!tr.transmit) return notSent(job, tr.reason);

    const { base, demande } = await demandeFor(d, tr.changes);
    if (d.followUp && base.radiation !== undefined) {
      const f = await state.followUp(target, d.followUp.of);
      if (f) await state.putFollowUp({ ...f, status: FollowUpStatus.skipped });
      return notSent(job, `the demand is already radiated (${base.radiation.motif}); the ${d.followUp.motif} radiation due ${d.followUp.dueDate} is not sent`);
    }

    // A write of an earlier attempt whose outcome is unknown (lost answer, crash): read back first.
    const pending = s.pending;
    if (pending && (await verify(d, tr, `an earlier ${pending.typeFichier} write's outcome is unknown`)) === 'applied') {
      return succeed(job, tr, 'verified');
    }

    await state.setPendingWrite(target, d.eventId, { at: now().toISOString(), jobId: job.id ?? '', typeFichier: tr.typeFichier });
    try {
      await deps.system.submit({ typeFichier: tr.typeFichier, demande, ...(tr.block ? { blocks: [tr.block] } : {}) });
    } catch (e) {
      const cls = classOf(e);
      if (cls === ErrorClass.transient) {
        // Nothing was written (that is what transient means): no outcome to check later.
        await state.clearPendingWrite(target, d.eventId);
        await deps.circuit.failure(target);
        await ackRetryingOnce(job, e);
        throw e;
      }
      if (cls === ErrorClass.ambiguous) {
        await deps.circuit.failure(target);
        const safe = toSafeError(e);
        if ((await verify(d, tr, `${target} did not answer the ${tr.typeFichier} write (${safe.code})`)) === 'applied') {
          return succeed(job, tr, 'verified');
        }
        await state.clearPendingWrite(target, d.eventId);
        const again = new TransientError(PushCode.notApplied, `${target} did not answer the ${tr.typeFichier} write (${safe.code}) and the demand read back does not show it: sent again`, {
          system: target,
        });
        await ackRetryingOnce(job, again);
        throw again;
      }
      // The target answered with a refusal: nothing was written.
      await state.clearPendingWrite(target, d.eventId);
      throw e;
    }
    return succeed(job, tr, 'delivered');
  }

  /**
   * BullMQ processor (not wrapped). A job that is not its demand's head waits without taking the lock;
   * the head takes the demand's lock for the send and its commit, then releases it before the rest.
   */
  async function process(job: Job<PushJobData>): Promise<PushResult> {
    const may = await mayGo(job.data);
    if (!may.go) return waitTurn(job, may.entered, may.head);
    const r = await deps.locks.withLock(`push:${target}`, job.data.numUnique, () => handle(job));
    if (!r.locked) return delayed(job, lockRetryMs);
    await r.value.after();
    return r.value.result;
  }

  /** After a permanent error, an ambiguous outcome, or the last attempt: dead letter and acknowledgement. */
  async function onFinalFailure({ job, error, errorClass }: FinalFailure): Promise<void> {
    const d = job.data as PushJobData;
    const safe = toSafeError(error);
    const pending = await state.pendingWrite(target, d.eventId);
    const parked = errorClass === ErrorClass.ambiguous || pending !== undefined;
    const detail = error instanceof ValidationError ? describeViolations(error.issues) : safe.message;
    const code = parked ? PushCode.ambiguous : safe.code;
    const message =
      parked && safe.code !== PushCode.ambiguous
        ? `the outcome of an earlier ${pending?.typeFichier ?? ''} write is unknown and could not be checked (${safe.code}: ${detail}): an operator must check the demand at ${target}, then replay or discard`
        : error instanceof ValidationError
          ? `${safe.code}: ${detail}`
          : detail;
    await deps.deadLetters.add({
      ...(job.id ? { id: job.id } : {}),
      queue: job.queueName,
      system: target,
      origin: d.followUp ? `follow-up of event ${d.followUp.of}` : `event ${d.eventId} (seq ${d.seq})`,
      numUnique: d.numUnique,
      code,
      errorClass: parked ? ErrorClass.ambiguous : errorClass,
      message,
      attempts: job.attemptsMade + 1,
      job: { name: job.name, data: { ...d, sealed: undefined } },
      ...(d.sealed ? { sealedInput: d.sealed } : {}),
    });
    await acknowledgeOrReport(d, parked ? { status: 'retrying', code, message } : { status: 'rejected', code, message });
    await settle(d, 'failed');
    log.error(parked ? 'event parked for an operator: dead letter' : 'event not sent: dead letter', {
      eventId: d.eventId,
      numUnique: d.numUnique,
      jobId: job.id,
      code,
      errorClass,
      attempts: job.attemptsMade + 1,
    });
  }

  return {
    process,
    onFinalFailure,
    /** The processor a `Worker` runs: classified failures, dead letters, acknowledgements. */
    processor: classifiedProcessor<PushJobData, PushResult>(process, onFinalFailure),
  };
}

export type PushProcessor = ReturnType<typeof createPushProcessor>;
