/**
 * Delivery of pulled records to the local tool (issue: pull pipeline, step 4).
 *
 * A record is written with the version the gateway last saw as precondition (`If-Match`), so a record
 * changed on the local side meanwhile is never overwritten: the 409 becomes a conflict for the
 * reconciliation report. The ledger makes every delivery idempotent: a replayed or duplicate delivery
 * whose content is already there has no second effect, and a write lost in a crash (sent, not
 * recorded) is recognised by its pending hash instead of being taken for a local change.
 *
 * Two ways in, one core ({@link writeRecord}): the pull delivers the changes of each page at once
 * (`inline`, the fast path), and what fails there, or everything in `queued` mode, becomes a job of the
 * `deliver` queue with retries, backoff and dead letters ({@link createDeliverProcessor}).
 */
import { DelayedError, type Job } from 'bullmq';
import { isGatewayError, toSafeError, TransientError, type GatewayError } from '../errors';
import type { Logger } from '../logging';
import type { PayloadCipher } from '../queue/crypto';
import type { DemandLocks } from '../queue/locks';
import type { FinalFailure } from '../queue/retry';
import type { Conflict, ConflictStore } from '../state/conflicts';
import type { DeadLetterStore } from '../state/dead-letters';
import { LedgerState, type Ledger, type LedgerEntry } from '../state/ledger';
import type { Outcome, RunStore } from '../state/runs';
import { normalisedHash } from './hash';

/** The ledger system name of the local tool. */
export const LOCAL = 'local';

/** What a delivery job carries: identifiers, a hash, and the record sealed (never clear). */
export interface DeliverJobData {
  runId: string;
  source: string;
  numUnique: string;
  hash: string;
  /** When the source produced this content (ISO), to refuse an older content arriving late. */
  sourceAt?: string;
  sealed: string;
}

/** The part of the local tool's client a delivery needs. */
export interface LocalWriter {
  putDemande(
    numUnique: string,
    record: unknown,
    options?: { ifMatch?: number },
  ): Promise<{ outcome: 'created' | 'updated' | 'unchanged'; version: number }>;
  getDemande(numUnique: string): Promise<{ version: number; record: unknown } | null>;
  /** Bulk form of `putDemande`, when the local tool offers it (one result per item). */
  putDemandes?(
    items: ReadonlyArray<{ numUnique: string; ifMatch?: number } & ({ record: unknown } | { recordJson: string })>,
  ): Promise<Array<{ ok: true; version: number } | { ok: false; error: unknown }>>;
}

/** One record to deliver. */
export interface Delivery {
  runId: string;
  source: string;
  numUnique: string;
  hash: string;
  sourceAt?: string;
  record: unknown;
  /** `record` as JSON, when the parser wrote it already (inline batches send it as is; never in a job). */
  recordJson?: string;
}

export type DeliverResult = 'delivered' | 'already-there' | 'superseded' | 'conflict';

/** Stable job id: one job per (source, demand, content), whatever the number of pulls that saw it. */
export function deliverJobId(source: string, numUnique: string, hash: string): string {
  return `deliver.${source.replace(/:/g, '_')}.${numUnique}.${hash.slice(0, 24)}`;
}

/** Nothing to write: the content is there already, or a newer one is. */
export function alreadyDone(entry: LedgerEntry | undefined, d: Pick<Delivery, 'hash' | 'sourceAt'>): 'already-there' | 'superseded' | undefined {
  if (entry?.state !== LedgerState.synced) return undefined;
  if (entry.hash === d.hash) return 'already-there';
  if (entry.sourceAt && d.sourceAt && entry.sourceAt > d.sourceAt) return 'superseded';
  return undefined;
}

/** The ledger entry recording that a write is about to be sent (set before the write, see above). */
export function pendingEntry(entry: LedgerEntry | undefined, hash: string, at: string): LedgerEntry {
  const base = entry ?? { hash: '', at, state: LedgerState.synced };
  // A newer content does not make an unconfirmed earlier write any less ours (it may have landed).
  const earlier = base.pendingHash && base.pendingHash !== hash ? [...(base.earlierPending ?? []), base.pendingHash].slice(-MAX_EARLIER_PENDING) : base.earlierPending;
  return { ...base, pendingHash: hash, ...(earlier?.length ? { earlierPending: earlier } : {}) };
}

const MAX_EARLIER_PENDING = 4;

/** True when `hash` is a write of ours not confirmed yet (the current one or an earlier one). */
function pendingOfOurs(entry: LedgerEntry | undefined, hash: string): boolean {
  return entry !== undefined && (entry.pendingHash === hash || (entry.earlierPending?.includes(hash) ?? false));
}

/** Codes of the errors delivery raises itself (the local client's are `LOCAL_*` too: src/systems/local). */
export const DeliverErrorCode = {
  /** A write whose answer was lost did not land (read back): sent again by the retry policy. */
  notApplied: 'LOCAL_WRITE_NOT_APPLIED',
} as const;

const isConflict = (e: unknown) => isGatewayError(e) && e.code === 'LOCAL_CONFLICT';
const isAmbiguous = (e: unknown): e is GatewayError => isGatewayError(e) && e.errorClass === 'ambiguous';

/**
 * True when the demand read back is as our write found it: still at the version our If-Match named,
 * or still absent when we created it (no If-Match: create only). Then a write whose answer was lost
 * did not land, and nobody else wrote either.
 */
function untouched(current: { version: number } | null, entry: LedgerEntry | undefined): boolean {
  return entry?.version ? current?.version === entry.version : current === null;
}

export type WriteOutcome =
  | { outcome: 'delivered'; entry: LedgerEntry }
  | { outcome: 'conflict'; entry: LedgerEntry; conflict: Conflict };

/** What a write attempt gave: the new version, or the error it failed with. */
export type WriteAttempt = { version: number } | { error: unknown };

/**
 * Writes one record whose pending mark is already in the ledger; returns the ledger entry to save.
 * Throws classified errors: transient (to be sent again, also when a lost answer's write is read back
 * as not landed), permanent, or the read-back's own error when the demand cannot be read back.
 */
export async function writeRecord(local: LocalWriter, d: Delivery, entry: LedgerEntry | undefined, now: () => Date, via: 'inline' | 'job'): Promise<WriteOutcome> {
  let attempt: WriteAttempt;
  try {
    attempt = { version: (await local.putDemande(d.numUnique, d.record, entry?.version ? { ifMatch: entry.version } : {})).version };
  } catch (error) {
    attempt = { error };
  }
  return resolveWrite(local, d, entry, now, via, attempt);
}

/**
 * Turns a write attempt (single or from a batch) into its outcome. A conflict or a lost answer is
 * resolved by reading the demand back: our write (this one, or an earlier one lost in a crash), a write
 * that did not land (sent again: {@link DeliverErrorCode.notApplied}), or a change made on the local side.
 */
export async function resolveWrite(
  local: LocalWriter,
  d: Delivery,
  entry: LedgerEntry | undefined,
  now: () => Date,
  via: 'inline' | 'job',
  attempt: WriteAttempt,
): Promise<WriteOutcome> {
  let version: number;
  if ('version' in attempt) {
    version = attempt.version;
  } else {
    const e = attempt.error;
    if (!isConflict(e) && !isAmbiguous(e)) throw e;
    const current = await local.getDemande(d.numUnique);
    const currentHash = current ? normalisedHash(current.record) : undefined;
    if (current && currentHash === d.hash) {
      version = current.version;
    } else if (current && currentHash !== undefined && pendingOfOurs(entry, currentHash)) {
      version = (await local.putDemande(d.numUnique, d.record, { ifMatch: current.version })).version;
    } else if (isAmbiguous(e) && untouched(current, entry)) {
      // The answer was lost and the write did not land: the demand is still as we left it. Sending it
      // again under the same precondition is safe (it cannot overwrite a local change: 409; and should
      // the lost write land late, an identical record is `unchanged` whatever If-Match says:
      // docs/local-api.openapi.yaml "Idempotency"). Transient, so the retry policy bounds and spaces
      // the resend (src/queue/retry.ts: backoff, then a dead letter after the last attempt); inline, the
      // record goes to the deliver queue like any failed write. The pending mark stays set meanwhile.
      throw new TransientError(DeliverErrorCode.notApplied, 'local PUT /demandes/{numUnique}: the answer was lost and the read-back shows the write did not land; to be sent again', {
        system: LOCAL,
        details: { lostAnswer: e.code, ...(entry?.version ? { ifMatch: entry.version } : {}) },
        cause: e,
      });
    } else {
      // Changed on the local side (a 409, or after a lost answer a version we did not write, or gone):
      // not overwritten, reported. A resend under our precondition could not apply either.
      const at = now().toISOString();
      return {
        outcome: 'conflict',
        entry: { ...(entry ?? { hash: '', at }), state: LedgerState.conflict, pendingHash: undefined, earlierPending: undefined } as LedgerEntry,
        conflict: {
          numUnique: d.numUnique,
          source: d.source,
          runId: d.runId,
          at,
          hash: d.hash,
          ...(entry?.version ? { expectedVersion: entry.version } : {}),
          ...(current ? { currentVersion: current.version } : {}),
        },
      };
    }
  }
  return {
    outcome: 'delivered',
    entry: {
      hash: d.hash,
      version,
      ...(d.sourceAt ? { sourceAt: d.sourceAt } : {}),
      source: d.source,
      runId: d.runId,
      via,
      at: now().toISOString(),
      state: LedgerState.synced,
    },
  };
}

export interface DeliverDeps {
  local: LocalWriter;
  ledger: Ledger;
  runs: RunStore;
  conflicts: ConflictStore;
  deadLetters: DeadLetterStore;
  cipher: PayloadCipher;
  locks: DemandLocks;
  logger: Logger;
  now?: () => Date;
  /** Delay before trying again a demand that another job holds (ms). */
  lockRetryMs?: number;
}

/** The `deliver` queue's processor: retries, backoff and dead letters around {@link writeRecord}. */
export function createDeliverProcessor(deps: DeliverDeps) {
  const now = deps.now ?? (() => new Date());

  async function settle(job: Job<DeliverJobData>, outcome: Outcome): Promise<void> {
    const finished = await deps.runs.settle(job.data.runId, job.id ?? '', outcome);
    if (finished) {
      const run = await deps.runs.get(job.data.runId);
      deps.logger.info('run finished', { runId: job.data.runId, source: run?.source, counts: run?.counts });
    }
  }

  async function deliver(job: Job<DeliverJobData>): Promise<DeliverResult> {
    const { numUnique, hash, source, runId, sourceAt } = job.data;
    const entry = await deps.ledger.get(LOCAL, numUnique);
    const done = alreadyDone(entry, job.data);
    if (done) {
      if (done === 'superseded') deps.logger.info('older content not delivered: a newer one is already there', { runId, jobId: job.id, numUnique, source });
      await settle(job, 'delivered');
      return done;
    }
    const d: Delivery = { runId, source, numUnique, hash, ...(sourceAt ? { sourceAt } : {}), record: deps.cipher.open(job.data.sealed) };
    await deps.ledger.set(LOCAL, numUnique, pendingEntry(entry, hash, now().toISOString()));
    const w = await writeRecord(deps.local, d, entry, now, 'job');
    await deps.ledger.set(LOCAL, numUnique, w.entry);
    if (w.outcome === 'conflict') {
      await deps.conflicts.add(w.conflict);
      deps.logger.warn('local demand changed since the last sync: not overwritten, recorded as a conflict', { runId, jobId: job.id, numUnique, code: 'LOCAL_CONFLICT' });
      await settle(job, 'conflicts');
      return 'conflict';
    }
    if (entry?.state === LedgerState.conflict) await deps.conflicts.resolve(numUnique);
    await settle(job, 'delivered');
    return 'delivered';
  }

  /** One job at a time per demand; others wait a moment and try again. */
  async function process(job: Job<DeliverJobData>, token?: string): Promise<DeliverResult> {
    const r = await deps.locks.withLock(LOCAL, job.data.numUnique, () => deliver(job));
    if (r.locked) return r.value;
    await job.moveToDelayed(Date.now() + (deps.lockRetryMs ?? 250), token);
    throw new DelayedError();
  }

  /** After the last attempt or a permanent error: dead letter, ledger marked, run settled. */
  async function onFinalFailure({ job, error, errorClass }: FinalFailure): Promise<void> {
    const data = job.data as DeliverJobData;
    const safe = toSafeError(error);
    await deps.deadLetters.add({
      queue: job.queueName,
      system: LOCAL,
      origin: `${data.source} ${data.numUnique}`,
      numUnique: data.numUnique,
      code: safe.code,
      errorClass,
      message: safe.message,
      attempts: job.attemptsMade + 1,
      job: { name: job.name, data: { ...data, sealed: undefined } },
      sealedInput: data.sealed,
    });
    const entry = await deps.ledger.get(LOCAL, data.numUnique);
    await deps.ledger.set(LOCAL, data.numUnique, {
      ...(entry ?? { hash: '', at: now().toISOString(), state: LedgerState.failed }),
      failedHash: data.hash,
      pendingHash: undefined,
    } as LedgerEntry);
    deps.logger.error('delivery failed: dead letter', { runId: data.runId, jobId: job.id, numUnique: data.numUnique, err: error });
    await settle(job as Job<DeliverJobData>, 'failed');
  }

  return { process, onFinalFailure };
}
