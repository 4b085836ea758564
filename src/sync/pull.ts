/**
 * The pull pipeline (design.md §1 "pull"): read a source page by page, quarantine what is invalid,
 * hash what is valid, compare with the ledger, turn changes into delivery jobs, and only then move the
 * source's cursor, in the same transaction as the run's counts (design.md §3.1, §3.5, §3.7).
 *
 * A crash at any point replays at most the page in flight: its jobs have deterministic ids and the ledger
 * recognises what was already delivered, so the replay has no second effect.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Demande } from '../domain';
import type { Warning } from '../domain/validate';
import { isGatewayError, toSafeError, type Issue } from '../errors';
import type { Logger } from '../logging';
import type { PayloadCipher } from '../queue/crypto';
import { execOrThrow } from '../queue/redis';
import type { CursorStore } from '../state/cursors';
import { LedgerState, type Ledger, type LedgerEntry } from '../state/ledger';
import type { QuarantineStore } from '../state/quarantine';
import type { Run, RunStore } from '../state/runs';
import type { DemandLocks } from '../queue/locks';
import type { Conflict, ConflictStore } from '../state/conflicts';
import { deliverJobId, LOCAL, pendingEntry, resolveWrite, writeRecord, type DeliverJobData, type Delivery, type LocalWriter, type WriteOutcome } from './deliver';
import { mapSettled } from './concurrency';
import { contentHash } from './hash';

/** One record as a source hands it over: parsed and validated, or with the reasons it is not. */
export type PulledResult =
  | { ok: true; demande: Demande; warnings: Warning[] }
  | { ok: false; issues: Issue[]; numUnique?: string };

export interface PulledRecord {
  result: PulledResult;
  /** When the source produced this content (ISO). */
  sourceAt?: string;
  /** Where it came from, for the quarantine (file name and position). */
  file?: string;
  index?: number;
  /** The original input (XML fragment), kept sealed in the quarantine when the record is refused. */
  raw?: string;
  /** sha256 of the original input: lets the reconciliation recognise an unchanged record without parsing it. */
  rawHash?: string;
  /** sha256 of the canonical demand, when the source computed it already (in a parsing thread). */
  hash?: string;
  /** The canonical demand as JSON (the text `hash` is of), when the source wrote it already. */
  json?: string;
  /** The demand's numéro unique, when the source read it already (saves reading `result.demande`). */
  numUnique?: string;
}

export interface SourcePage {
  records: PulledRecord[];
  /** The cursor value once this page is taken in (undefined: leave it). */
  cursor?: string;
  /** Called after the page is committed (e.g. a dispatch file moved to done/ after its last page). */
  onCommitted?: () => Promise<void>;
}

/** A source of demands: dispatch files, the SNE "since" services, an SPTA. */
export interface PullSource {
  /** Cursor key and run label: `dispatch`, `sne:radiees`, `spta:35:dalo`... */
  id: string;
  /** The system the records come from, in the ledger (`sne`, `spta:35`). */
  system: string;
  /**
   * Whose cursor the pages move: the source's (`source`, default: the next pull goes on from it) or
   * this run's only (`run`: a list of demands given to one pull; a retried attempt goes on from it).
   */
  cursorScope?: 'source' | 'run';
  pages(cursor: string | undefined, options: { since?: string }): AsyncIterable<SourcePage>;
}

export const DeliveryMode = { inline: 'inline', queued: 'queued' } as const;
export type DeliveryMode = (typeof DeliveryMode)[keyof typeof DeliveryMode];

export interface PullDeps {
  redis: Redis;
  ledger: Ledger;
  runs: RunStore;
  cursors: CursorStore;
  quarantine: QuarantineStore;
  conflicts: ConflictStore;
  locks: DemandLocks;
  cipher: PayloadCipher;
  deliverQueue: Queue<DeliverJobData>;
  /** The local tool, for inline delivery. */
  local: LocalWriter;
  logger: Logger;
  now?: () => Date;
  /**
   * `inline` (default): each page's changes are written to the local tool by the pull itself, and only
   * what fails there becomes a delivery job (fast: no job per record). `queued`: every change is a job.
   */
  delivery?: DeliveryMode;
  /** Writes in flight at once, inline. */
  deliveryConcurrency?: number;
  /** Pause the intake while this many deliveries wait (bounds Redis memory whatever the stock size). */
  maxWaiting?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PullRequest {
  runId: string;
  trigger: string;
  /**
   * Read from this date instead of the stored cursor (manual `--since`); the cursor still moves, and a
   * resumed attempt of the run goes on from the cursor it moved itself.
   */
  since?: string;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Runs one pull of one source to the end of what it has; returns the run (deliveries may still be in flight). */
export async function runPull(source: PullSource, request: PullRequest, deps: PullDeps): Promise<Run> {
  const sleep = deps.sleep ?? defaultSleep;
  const maxWaiting = deps.maxWaiting ?? 5_000;
  const log = deps.logger.child({ runId: request.runId, source: source.id });
  await deps.runs.start({ id: request.runId, kind: 'pull', source: source.id, trigger: request.trigger });

  try {
    // A resumed attempt (a retry, or a restart after a crash) goes on from the last cursor: the pages
    // committed since (a "since" answer moves it with its last page only) are read again, so their
    // counts are taken back first. A `since` pull goes on from the cursor it moved itself, if any.
    const own = await deps.runs.resume(request.runId);
    const from =
      source.cursorScope === 'run'
        ? { cursor: own.cursor, options: {} }
        : request.since === undefined
          ? { cursor: await deps.cursors.get(source.id), options: {} }
          : own.cursor === undefined
            ? { cursor: undefined, options: { since: request.since } }
            : { cursor: own.cursor, options: {} };
    // Two pages at a time: while the local tool writes one page, the next is read, compared and sent.
    // Their commits (counts, quarantine, cursor) stay in page order; pages that share a demand go one
    // after the other, so a demand is never written by both.
    const inFlight: Array<{ done: Promise<void>; demandes: ReadonlySet<string> }> = [];
    let failure: { error: unknown } | undefined;
    try {
      for await (const page of source.pages(from.cursor, from.options)) {
        // A page that failed stops the reading: the pages after it could not commit anyway.
        if (failure) throw failure.error;
        const demandes = numUniquesOf(page);
        const previous = inFlight[inFlight.length - 1];
        if (previous && sharesAny(previous.demandes, demandes)) await previous.done;
        const done = (async () => {
          await takeInPage(source, page, request.runId, deps, previous?.done);
          await page.onCommitted?.();
        })();
        // Awaited below; this marks it handled while it waits its turn, and stops the reading early.
        done.catch((error: unknown) => {
          failure ??= { error };
        });
        inFlight.push({ done, demandes });
        if (inFlight.length > 1) await inFlight.shift()!.done;
        // The end of a source's unit (a dispatch file moved to done/ and recorded) before reading on: the
        // source decides from that record whether what comes next (the same file again) is new.
        if (page.onCommitted) while (inFlight.length) await inFlight.shift()!.done;
        await waitForRoom(deps.deliverQueue, maxWaiting, sleep);
      }
      for (const p of inFlight) await p.done;
    } finally {
      // Never leave a page half-way behind an error: the attempt ends when every page in flight has.
      await Promise.allSettled(inFlight.map((p) => p.done));
    }
  } catch (e) {
    // The run fails only when its job finally does (the pull worker's final-failure handler): a
    // transient error is retried by the queue, and the run goes on; the attempt is noted on it.
    // Noting it must not replace the error: its class decides whether the job is retried.
    const safe = toSafeError(e);
    await deps.runs.noteFailedAttempt(request.runId, `${safe.errorClass} ${safe.code}: ${safe.message}`).catch((noteError: unknown) => {
      log.warn('could not note the failed attempt on the run', { err: noteError });
    });
    log.warn('pull attempt failed', { err: e, errorClass: safe.errorClass });
    throw e;
  }
  const finished = await deps.runs.intakeDone(request.runId);
  const run = (await deps.runs.get(request.runId))!;
  if (finished) log.info('run finished', { counts: run.counts });
  else log.info('intake done, deliveries in flight', { counts: run.counts });
  return run;
}

/** The numéros uniques of a page's valid records (without reading a demand handed over as JSON). */
function numUniquesOf(page: SourcePage): Set<string> {
  const out = new Set<string>();
  for (const rec of page.records) {
    const nu = rec.result.ok ? (rec.numUnique ?? rec.result.demande.numUnique) : undefined;
    if (nu) out.add(nu);
  }
  return out;
}

function sharesAny(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of b) if (a.has(x)) return true;
  return false;
}

/**
 * Takes one page in. `after`: the previous page, still in flight; this page's commit waits for it (and
 * is not made if it failed), so that the cursor never passes a page that was not committed.
 */
async function takeInPage(source: PullSource, page: SourcePage, runId: string, deps: PullDeps, after?: Promise<void>): Promise<void> {
  // `demande` is read only where it is needed: a parsing thread hands it over as JSON (see parse-pool).
  const valid: Array<{ nu: string; result: { demande: Demande }; hash: string; rec: PulledRecord }> = [];
  const refused: PulledRecord[] = [];
  for (const rec of page.records) {
    const { result } = rec;
    if (!result.ok) {
      refused.push(rec);
      continue;
    }
    const nu = rec.numUnique ?? result.demande.numUnique;
    if (!nu) {
      refused.push({ ...rec, result: { ok: false, issues: [{ path: 'numUnique', rule: 'required', message: 'a pulled demand must have its numéro unique' }] } });
    } else {
      valid.push({ nu, result, hash: rec.hash ?? contentHash(result.demande), rec });
    }
  }

  // Compare with what the local tool was last given.
  const entries = await deps.ledger.getMany(LOCAL, valid.map((v) => v.nu));
  const toDeliver: Array<{ delivery: Delivery; entry: LedgerEntry | undefined }> = [];
  let changed = 0;
  let delivered = 0;
  let conflicts = 0;
  // The same demand twice in one page: the lock goes to the first, the other waits in the queue (and the
  // ledger's source date refuses an older content).
  valid.forEach((v, i) => {
    const e = entries[i];
    const nu = v.nu;
    const unchanged = e !== undefined && ((e.hash === v.hash && e.state === LedgerState.synced) || e.failedHash === v.hash);
    // A page replayed after a crash finds its own deliveries: they are this run's changes all the same
    // (counted here when this page wrote them, by their job otherwise).
    const deliveredByThisRun = e !== undefined && e.hash === v.hash && e.runId === runId;
    if (unchanged && !deliveredByThisRun) return;
    changed++;
    if (deliveredByThisRun) {
      if (e.via === 'inline') delivered++;
      return;
    }
    toDeliver.push({
      delivery: {
        runId,
        source: source.id,
        numUnique: nu,
        hash: v.hash,
        ...(v.rec.sourceAt ? { sourceAt: v.rec.sourceAt } : {}),
        get record() {
          return v.result.demande;
        },
        ...(v.rec.json ? { recordJson: v.rec.json } : {}),
      },
      entry: e,
    });
  });

  const jobs: Array<{ name: string; data: DeliverJobData; opts: { jobId: string } }> = [];
  const asJob = (d: Delivery) =>
    jobs.push({
      name: 'deliver',
      data: {
        runId: d.runId,
        source: d.source,
        numUnique: d.numUnique,
        hash: d.hash,
        ...(d.sourceAt ? { sourceAt: d.sourceAt } : {}),
        sealed: deps.cipher.seal(d.record),
      },
      opts: { jobId: deliverJobId(d.source, d.numUnique, d.hash) },
    });

  if ((deps.delivery ?? DeliveryMode.inline) === DeliveryMode.queued) {
    toDeliver.forEach((t) => asJob(t.delivery));
  } else if (toDeliver.length) {
    const r = await deliverInline(await withoutOwnJobs(toDeliver, runId, deps), deps);
    delivered += r.delivered;
    conflicts += r.conflicts;
    r.retry.forEach(asJob);
  }

  // Jobs first (durable), then counts, quarantine and cursor together: the cursor never passes an
  // unsaved change.
  if (jobs.length) await deps.deliverQueue.addBulk(jobs);
  await after;
  const tx = deps.redis.multi();
  await deps.quarantine.addMany(
    refused.map((r) => ({
      source: source.id,
      runId,
      ...(r.file ? { file: r.file } : {}),
      ...(r.index !== undefined ? { index: r.index } : {}),
      ...(!r.result.ok && r.result.numUnique ? { numUnique: r.result.numUnique } : {}),
      issues: r.result.ok ? [] : r.result.issues,
      ...(r.raw ? { sealedInput: deps.cipher.seal(r.raw) } : {}),
    })),
    tx,
  );
  deps.runs.addIntake(
    tx,
    runId,
    {
      fetched: page.records.length,
      valid: valid.length,
      quarantined: refused.length,
      unchanged: valid.length - changed,
      changed,
      delivered,
      conflicts,
    },
    page.cursor === undefined ? {} : { cursor: page.cursor },
  );
  // What the source holds, per demand: the reconciliation compares against it.
  if (valid.length) {
    const at = new Date().toISOString();
    const seen: string[] = [];
    for (const v of valid) {
      seen.push(
        v.nu,
        JSON.stringify({ hash: v.hash, ...(v.rec.rawHash ? { rawHash: v.rec.rawHash } : {}), ...(v.rec.sourceAt ? { sourceAt: v.rec.sourceAt } : {}), source: source.id, at, state: LedgerState.synced }),
      );
    }
    tx.hset(deps.ledger.keyOf(source.system), ...seen);
  }
  if (page.cursor !== undefined && source.cursorScope !== 'run') deps.cursors.setIn(tx, source.id, page.cursor);
  await execOrThrow(tx);
}

/**
 * Leaves out what a delivery job of this run still holds: an inline write that failed went to the
 * queue, and when the attempt is resumed (a retry, a restart) before that job ran, the page comes again.
 * The job writes and counts it; writing it here as well would count it twice. Only demands with a
 * pending mark of that very content are looked up: none in an ordinary page.
 */
async function withoutOwnJobs<T extends { delivery: Delivery; entry: LedgerEntry | undefined }>(items: T[], runId: string, deps: PullDeps): Promise<T[]> {
  const pending = items.filter((i) => i.entry?.pendingHash === i.delivery.hash);
  if (pending.length === 0) return items;
  const held = new Set<T>();
  for (const i of pending) {
    const job = await deps.deliverQueue.getJob(deliverJobId(i.delivery.source, i.delivery.numUnique, i.delivery.hash));
    if (job?.data.runId !== runId) continue;
    const state = await job.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') held.add(i);
  }
  return held.size ? items.filter((i) => !held.has(i)) : items;
}

/**
 * Writes a page's changes to the local tool now: locks taken and pending marks set in one round trip
 * each, writes in parallel, ledger and conflicts saved in one round trip each. What another job holds,
 * and what fails, goes to the delivery queue (retries, backoff, dead letters).
 */
async function deliverInline(
  items: Array<{ delivery: Delivery; entry: LedgerEntry | undefined }>,
  deps: PullDeps,
): Promise<{ delivered: number; conflicts: number; retry: Delivery[] }> {
  const now = deps.now ?? (() => new Date());
  const { token, locked } = await deps.locks.lockMany(LOCAL, items.map((i) => i.delivery.numUnique));
  const retry: Delivery[] = [];
  const mine = items.filter((i) => {
    if (locked.has(i.delivery.numUnique)) return true;
    retry.push(i.delivery);
    return false;
  });
  let delivered = 0;
  let conflicts = 0;
  try {
    const at = now().toISOString();
    await deps.ledger.setMany(LOCAL, new Map(mine.map((i) => [i.delivery.numUnique, pendingEntry(i.entry, i.delivery.hash, at)])));
    const results = await writeAll(mine, deps, now);
    const saved = new Map<string, LedgerEntry>();
    const found: Conflict[] = [];
    const resolved: string[] = [];
    results.forEach((r, k) => {
      const item = mine[k]!;
      if (r.status === 'rejected') {
        retry.push(item.delivery);
        return;
      }
      saved.set(item.delivery.numUnique, r.value.entry);
      if (r.value.outcome === 'conflict') {
        conflicts++;
        found.push(r.value.conflict);
      } else {
        delivered++;
        if (item.entry?.state === LedgerState.conflict) resolved.push(item.delivery.numUnique);
      }
    });
    await deps.ledger.setMany(LOCAL, saved);
    for (const c of found) await deps.conflicts.add(c);
    for (const nu of resolved) await deps.conflicts.resolve(nu);
    if (found.length) deps.logger.warn('local demands changed since the last sync: not overwritten, recorded as conflicts', { count: found.length, code: 'LOCAL_CONFLICT' });
  } finally {
    await deps.locks.releaseMany(LOCAL, locked, token);
  }
  return { delivered, conflicts, retry };
}

/** Local tools known to lack the batch endpoint (asked once, then one PUT per demand). */
const noBatch = new WeakSet<object>();

/** Writes each record: in batches when the local tool has the endpoint, else one PUT each. */
async function writeAll(
  items: Array<{ delivery: Delivery; entry: LedgerEntry | undefined }>,
  deps: PullDeps,
  now: () => Date,
): Promise<PromiseSettledResult<WriteOutcome>[]> {
  const concurrency = deps.deliveryConcurrency ?? 16;
  const single = (i: { delivery: Delivery; entry: LedgerEntry | undefined }) => writeRecord(deps.local, i.delivery, i.entry, now, 'inline');
  const putDemandes = deps.local.putDemandes?.bind(deps.local);
  if (!putDemandes || noBatch.has(deps.local)) return mapSettled(items, concurrency, single);
  const chunks: Array<typeof items> = [];
  for (let i = 0; i < items.length; i += BATCH_SIZE) chunks.push(items.slice(i, i + BATCH_SIZE));
  const perChunk = await mapSettled(chunks, 2, async (chunk): Promise<PromiseSettledResult<WriteOutcome>[]> => {
    let answers;
    try {
      answers = await putDemandes(
        chunk.map((i) => ({
          numUnique: i.delivery.numUnique,
          // The JSON text when the parser wrote it: reading `record` would parse it back for nothing.
          ...(i.delivery.recordJson ? { recordJson: i.delivery.recordJson } : { record: i.delivery.record }),
          ...(i.entry?.version ? { ifMatch: i.entry.version } : {}),
        })),
      );
    } catch (e) {
      if (isGatewayError(e) && e.code === 'LOCAL_BATCH_UNSUPPORTED') {
        noBatch.add(deps.local);
        return mapSettled(chunk, concurrency, single);
      }
      // The whole request failed (or its answer was lost): every item goes to the queue, where the
      // pending marks make the retry safe.
      return chunk.map(() => ({ status: 'rejected', reason: e }));
    }
    const paired = chunk.map((item, k) => ({ item, answer: answers[k]! }));
    return mapSettled(paired, concurrency, ({ item, answer }) =>
      resolveWrite(deps.local, item.delivery, item.entry, now, 'inline', answer.ok ? { version: answer.version } : { error: answer.error }),
    );
  });
  // One result per item, in the items' order, whatever happened to a chunk.
  return perChunk.flatMap((r, c) => (r.status === 'fulfilled' ? r.value : chunks[c]!.map(() => ({ status: 'rejected' as const, reason: r.reason }))));
}

/** Records per batch request. */
const BATCH_SIZE = 100;

async function waitForRoom(queue: Queue, maxWaiting: number, sleep: (ms: number) => Promise<void>): Promise<void> {
  for (;;) {
    const c = await queue.getJobCounts('wait', 'delayed', 'prioritized');
    if ((c.wait ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) < maxWaiting) return;
    await sleep(100);
  }
}
