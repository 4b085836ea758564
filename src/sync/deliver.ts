/**
 * Delivery of pulled records to the local tool (issue: pull pipeline, step 4).
 *
 * One job per changed record. The record is written with the version the gateway last saw as
 * precondition (`If-Match`), so a record changed on the local side meanwhile is never overwritten: the
 * 409 becomes a conflict for the reconciliation report. The ledger makes every delivery idempotent:
 * a replayed or duplicate job whose content is already there has no second effect.
 */
import { DelayedError, type Job } from 'bullmq';
import { isGatewayError, toSafeError } from '../errors';
import type { Logger } from '../logging';
import type { PayloadCipher } from '../queue/crypto';
import type { DemandLocks } from '../queue/locks';
import type { FinalFailure } from '../queue/retry';
import type { ConflictStore } from '../state/conflicts';
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

export type DeliverResult = 'delivered' | 'already-there' | 'superseded' | 'conflict';

/** Stable job id: one job per (source, demand, content), whatever the number of pulls that saw it. */
export function deliverJobId(source: string, numUnique: string, hash: string): string {
  return `deliver.${source.replace(/:/g, '_')}.${numUnique}.${hash.slice(0, 24)}`;
}

const isConflict = (e: unknown) => isGatewayError(e) && e.code === 'LOCAL_CONFLICT';
const isAmbiguous = (e: unknown) => isGatewayError(e) && e.errorClass === 'ambiguous';

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
    const log = deps.logger.child({ runId, jobId: job.id, numUnique });
    const entry = await deps.ledger.get(LOCAL, numUnique);

    if (entry?.hash === hash && entry.state === LedgerState.synced) {
      await settle(job, 'delivered');
      return 'already-there';
    }
    if (entry?.state === LedgerState.synced && entry.sourceAt && sourceAt && entry.sourceAt > sourceAt) {
      log.info('older content not delivered: a newer one is already there', { source });
      await settle(job, 'delivered');
      return 'superseded';
    }

    const record = deps.cipher.open(job.data.sealed);
    const base: Partial<LedgerEntry> = entry ?? {};
    await deps.ledger.set(LOCAL, numUnique, {
      hash: base.hash ?? '',
      ...base,
      at: base.at ?? now().toISOString(),
      state: base.state ?? LedgerState.synced,
      pendingHash: hash,
    } as LedgerEntry);

    let version: number;
    try {
      version = (await deps.local.putDemande(numUnique, record, entry?.version ? { ifMatch: entry.version } : {})).version;
    } catch (e) {
      if (!isConflict(e) && !isAmbiguous(e)) throw e;
      // Read the demand back: it tells whether our write (this one, or an earlier one lost in a crash)
      // is what the local tool holds, or whether someone changed it there.
      const current = await deps.local.getDemande(numUnique);
      const currentHash = current ? normalisedHash(current.record) : undefined;
      if (current && currentHash === hash) {
        version = current.version;
      } else if (current && currentHash !== undefined && currentHash === entry?.pendingHash) {
        version = (await deps.local.putDemande(numUnique, record, { ifMatch: current.version })).version;
      } else if (isAmbiguous(e)) {
        // The write did not land (or landed elsewhere): the If-Match precondition makes a resend safe.
        throw e;
      } else {
        await deps.ledger.set(LOCAL, numUnique, {
          ...(entry ?? { hash: '', at: now().toISOString() }),
          state: LedgerState.conflict,
          pendingHash: undefined,
        } as LedgerEntry);
        await deps.conflicts.add({
          numUnique,
          source,
          runId,
          at: now().toISOString(),
          hash,
          ...(entry?.version ? { expectedVersion: entry.version } : {}),
          ...(current ? { currentVersion: current.version } : {}),
        });
        log.warn('local demand changed since the last sync: not overwritten, recorded as a conflict', { code: 'LOCAL_CONFLICT' });
        await settle(job, 'conflicts');
        return 'conflict';
      }
    }

    await deps.ledger.set(LOCAL, numUnique, {
      hash,
      version,
      ...(sourceAt ? { sourceAt } : {}),
      source,
      runId,
      at: now().toISOString(),
      state: LedgerState.synced,
    });
    if (entry?.state === LedgerState.conflict) await deps.conflicts.resolve(numUnique);
    await settle(job, 'delivered');
    return 'delivered';
  }

  /** BullMQ processor: one job at a time per demand; others wait a moment and try again. */
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
    deps.logger.error('delivery failed: dead letter', {
      runId: data.runId,
      jobId: job.id,
      numUnique: data.numUnique,
      err: error,
    });
    await settle(job as Job<DeliverJobData>, 'failed');
  }

  return { process, onFinalFailure };
}
