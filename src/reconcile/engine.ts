/**
 * The reconciliation of one registration system (`sne`, `spta:35`) with the local tool (design.md §1
 * "reconcile", §3.7): every demand known on either side, by numéro unique, compared by content hash first
 * and field by field when they differ; what is stuck in the gateway; the regulatory checks.
 *
 * How it fits 300,000 demands in a minute and a few hundred MB (everything is streamed):
 * - the ledgers tell, per demand, the content the gateway last pulled (with the sha256 of its raw XML)
 *   and the content and version it last wrote to the local tool;
 * - the source's stock file is split at byte level and each fragment hashed; when its raw hash is the
 *   one last pulled, its canonical hash is known without parsing, otherwise it is parsed (in worker
 *   threads when configured);
 * - the local export gives each record's version: the version the gateway last wrote means the content
 *   it wrote; any other version is hashed (that is a local change);
 * - per-demand state is a few bytes in flat buffers (`DemandTable`);
 * - only the differences are read again, one by one, from both sides (rate-limited on the source) and
 *   compared field by field; a difference that vanishes on reading was a side catching up.
 * Without a stock file the source side is what the gateway last pulled (the ledger), every difference
 * confirmed by a targeted read.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DemandeResult, InterfaceNuuCodec, StreamItem } from '../codec';
import type { Config } from '../config';
import { Demande, daysBetween, type IsoDate } from '../domain';
import { classOf, ErrorClass, toSafeError, type Issue } from '../errors';
import type { Logger } from '../logging';
import { attributedButNotHoused, mapAttribution, type MappingTables, type Violation } from '../mapping';
import type { Keys } from '../queue/keys';
import type { ConflictStore } from '../state/conflicts';
import type { DeadLetterStore } from '../state/dead-letters';
import type { Ledger, LedgerEntry } from '../state/ledger';
import type { QuarantineStore } from '../state/quarantine';
import { contentHash } from '../sync/hash';
import { parsedFragment, type FragmentParser, type ParsedFragment } from '../sync/parse-pool';
import type { DemandePage, LocalClient } from '../systems/local';
import type { DemandSystem } from '../systems/port';
import { classify, REASON_TEXT, type Classification, type DemandeSituation } from './classify';
import { diffFields, type FieldDiff } from './diff';
import { scanEvents, type AttributionSeen, type EventsScan } from './events';
import { collectOps, LOCAL_SYSTEM } from './ops';
import { RateLimiter } from './rate-limit';
import { dayIn, demandeChecks, factsOf, isAttributionReportOverdue, radiationOf } from './rules';
import { scanStock } from './stock';
import { DemandTable, DIGEST_BYTES, F, H } from './table';
import {
  Category,
  Check,
  categories,
  checks,
  emptyCounts,
  SourceMode,
  StoppedAt,
  type Finding,
  type ReconcileReport,
} from './types';

/** The local tool, as the reconciliation reads it. */
export type ReconcileLocal = Pick<LocalClient, 'exportAll' | 'listEvenements' | 'getDemande'>;

export interface ReconcileDeps {
  config: Pick<Config, 'reconcile' | 'territory' | 'schedules' | 'local'>;
  redis: Redis;
  keys: Keys;
  ledger: Pick<Ledger, 'keyOf' | 'get' | 'size'>;
  deadLetters: Pick<DeadLetterStore, 'search'>;
  quarantine: Pick<QuarantineStore, 'list' | 'count'>;
  conflicts: Pick<ConflictStore, 'list'>;
  /** The codec of the source's format (an SPTA's dialect codec for an SPTA). */
  codec: InterfaceNuuCodec;
  logger: Logger;
  local: ReconcileLocal;
  /** The source system, for targeted reads (`getDemande`). */
  system: Pick<DemandSystem, 'id' | 'getDemande'>;
  tables: MappingTables;
  /** The push queues of this system (`push.sne`). */
  pushQueues: readonly Queue[];
  /**
   * Makes a parser of stock fragments in worker threads, used once more than `PARSE_INLINE` fragments
   * need parsing (a first run, a changed layout): a few are parsed in this thread, without the threads'
   * start-up and memory. The engine closes what it made.
   */
  parserFactory?: () => FragmentParser;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export const Phase = {
  ledger: 'ledger',
  stores: 'stores',
  local: 'local',
  stock: 'stock',
  events: 'events',
  compare: 'compare',
  confirm: 'confirm',
  checks: 'checks',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface ReconcileProgress {
  phase: Phase;
  done: number;
  total?: number;
}

export interface ReconcileOptions {
  id?: string;
  /** The source's full stock file; absent: the source side is the ledger. */
  stockFile?: string;
  /** Put the differing values in the report (never in logs). */
  showValues?: boolean;
  /** Most targeted reads of the source (default 1000): past it, differences are reported unconfirmed. */
  confirmMax?: number;
  /** Most unconfirmed differences compared field by field from the stock (default 5000). */
  diffMax?: number;
  /** Day of the regulatory checks (default: today in `schedules.timezone`). */
  today?: IsoDate;
  onProgress?: (p: ReconcileProgress) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
const BATCH = 100;
/** Stock fragments parsed in this thread before worker threads are started. */
export const PARSE_INLINE = 2000;

/** Hash of a local record: canonical when it is a valid demand, else of its raw JSON (never equal to a canonical hash). */
function localHashOf(record: unknown): { hash: string; canonical: boolean } {
  const parsed = Demande.safeParse(record);
  if (parsed.success) return { hash: contentHash(parsed.data), canonical: true };
  return { hash: createHash('sha256').update(`raw:${JSON.stringify(record) ?? ''}`).digest('hex'), canonical: false };
}

/** The local record as compared field by field: canonical when it is a valid demand. */
function comparable(record: unknown): unknown {
  const parsed = Demande.safeParse(record);
  return parsed.success ? parsed.data : record;
}

/** Transient failures of a read are retried (a long export must not fail on one dropped connection). */
async function retryTransient<T>(fn: () => Promise<T>, sleep: (ms: number) => Promise<void>, log: Logger, what: string, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (classOf(e) !== ErrorClass.transient || attempt >= attempts) throw e;
      log.warn('read failed, trying again', { what, attempt, code: toSafeError(e).code });
      await sleep(Math.min(5_000, 200 * 2 ** (attempt - 1)));
    }
  }
}

/** The local tool's export, page by page, resumed from the last page read after a transient failure. */
async function* resumableExport(
  local: ReconcileLocal,
  pageSize: number,
  sleep: (ms: number) => Promise<void>,
  log: Logger,
): AsyncGenerator<DemandePage> {
  let cursor: string | null = null;
  let failures = 0;
  for (;;) {
    try {
      for await (const page of local.exportAll({ pageSize, cursor })) {
        failures = 0;
        yield page;
        cursor = page.nextCursor;
      }
      return;
    } catch (e) {
      if (classOf(e) !== ErrorClass.transient || ++failures >= 5) throw e;
      log.warn('local export interrupted, resuming', { attempt: failures, code: toSafeError(e).code });
      await sleep(Math.min(5_000, 200 * 2 ** (failures - 1)));
    }
  }
}

/** HSCAN of a hash, page by page (`[field, value, field, value...]`), as bytes: no string per value. */
async function* scanHash(redis: Redis, key: string, count = 1000): AsyncGenerator<Buffer[]> {
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscanBuffer(key, cursor, 'COUNT', count);
    cursor = next.toString('latin1');
    if (flat.length) yield flat;
  } while (cursor !== '0');
}

/** `"name":"` and `"name":` as bytes, to find a field in an entry's JSON. */
const fieldKey = (name: string, quoted: boolean): Buffer => Buffer.from(`"${name}":${quoted ? '"' : ''}`, 'latin1');
const LEDGER_KEYS = {
  hash: fieldKey('hash', true),
  rawHash: fieldKey('rawHash', true),
  failedHash: fieldKey('failedHash', true),
  version: fieldKey('version', false),
} as const;

/** A 64-hex-character field of a ledger entry's JSON (`"hash":"…"`), read in place without parsing it. */
export function hexField(json: Buffer, name: 'hash' | 'rawHash' | 'failedHash'): string | undefined {
  const key = LEDGER_KEYS[name];
  const at = json.indexOf(key);
  if (at === -1) return undefined;
  const start = at + key.length;
  if (json[start + 64] !== 34 /* " */) return undefined;
  const value = json.toString('latin1', start, start + 64);
  return HEX64.test(value) ? value : undefined;
}

/** A whole-number field of a ledger entry's JSON (`"version":3`). */
export function numberField(json: Buffer, name: 'version'): number | undefined {
  const key = LEDGER_KEYS[name];
  const at = json.indexOf(key);
  if (at === -1) return undefined;
  let v = 0;
  let i = at + key.length;
  const start = i;
  for (; i < json.length && i - start < 15; i++) {
    const c = json[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return i > start ? v : undefined;
}

/** Compact issues of an unreadable source demand: paths and rules, no message text with values. */
const pathsOf = (issues: readonly Issue[]): string[] => [...new Set(issues.map((i) => i.path || '(record)'))];

interface Candidate {
  slot: number;
  numUnique: string;
  c: Classification;
  confirmed: boolean;
  diff?: FieldDiff;
  note?: string;
}

/** What is known of a demand's content at the source, for the attribution check. */
interface SourceKnowledge {
  present: boolean;
  /** Radiation motif (undefined: active). */
  motif?: string;
}

/** Runs one reconciliation and returns its report (nothing is written: see `writeReport`). */
export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const system = deps.system.id;
  const log = deps.logger.child({ component: 'reconcile', system });
  const progress = options.onProgress ?? (() => undefined);
  const today = options.today ?? dayIn(started, deps.config.schedules.timezone);
  const showValues = options.showValues ?? false;
  const problems: Issue[] = [];
  const id = options.id ?? reportId(system, started);

  // ---- 1. ledgers -------------------------------------------------------------------------------
  // Read raw (HSCAN), the few fields picked out of each entry's JSON without building an object: 600,000
  // parsed entries are garbage enough to double the peak memory of a run.
  const table = new DemandTable((await deps.ledger.size(system)) + 1024);
  let n = 0;
  for await (const flat of scanHash(deps.redis, deps.ledger.keyOf(system))) {
    for (let i = 0; i < flat.length; i += 2) {
      const json = flat[i + 1]!;
      const hash = hexField(json, 'hash');
      const s = table.slot(flat[i]!.toString('utf8'));
      if (hash) {
        table.setDigest(s, H.sourceLedger, hash);
        table.set(s, F.inSourceLedger);
        const raw = hexField(json, 'rawHash');
        if (raw) {
          table.setDigest(s, H.sourceLedgerRaw, raw);
          table.set(s, F.sourceLedgerRaw);
        }
      }
    }
    n += flat.length / 2;
    progress({ phase: Phase.ledger, done: n });
  }
  for await (const flat of scanHash(deps.redis, deps.ledger.keyOf(LOCAL_SYSTEM))) {
    for (let i = 0; i < flat.length; i += 2) {
      const json = flat[i + 1]!;
      const s = table.slot(flat[i]!.toString('utf8'));
      table.set(s, F.inLocalLedger);
      const hash = hexField(json, 'hash');
      if (hash) {
        table.setDigest(s, H.localLedger, hash);
        table.set(s, F.localLedgerHash);
      }
      const version = numberField(json, 'version');
      if (version !== undefined) {
        table.ledgerVersion[s] = version;
        table.set(s, F.localLedgerVersion);
      }
      const failed = hexField(json, 'failedHash');
      if (failed) {
        table.failedHash.set(s, failed.slice(0, DIGEST_BYTES * 2));
        table.set(s, F.localLedgerFailedHash);
      }
    }
    n += flat.length / 2;
    progress({ phase: Phase.ledger, done: n });
  }
  progress({ phase: Phase.ledger, done: n, total: n });

  // ---- 2. the gateway's stores ------------------------------------------------------------------
  const ops = await collectOps(
    { redis: deps.redis, keys: deps.keys, conflicts: deps.conflicts, deadLetters: deps.deadLetters, quarantine: deps.quarantine, pushQueues: deps.pushQueues },
    system,
  );
  problems.push(...ops.problems);
  progress({ phase: Phase.stores, done: 1, total: 1 });

  // ---- 3. local export, stock and events, side by side --------------------------------------------
  const checkFindings: Record<Check, Finding[]> = Object.fromEntries(checks.map((c) => [c, []])) as unknown as Record<Check, Finding[]>;
  const local = { demandes: 0, duplicates: 0, nonCanonical: 0, unreadable: 0 };
  const checkOptions = { today, delaiAnormalementLongMonths: deps.config.territory.delaiAnormalementLongMonths };

  // For the progress bar only: the local tool holds about what the gateway wrote there.
  let localExpected = 0;
  for (let s = 0; s < table.size; s++) if (table.has(s, F.inLocalLedger)) localExpected++;
  const readLocal = async (): Promise<void> => {
    for await (const page of resumableExport(deps.local, deps.config.local.pageSize, sleep, log)) {
      for (const item of page.items) {
        const s = table.slot(item.numUnique);
        if (table.has(s, F.inLocal)) {
          // Listed twice by the export: the first one is compared and checked.
          local.duplicates++;
          continue;
        }
        table.set(s, F.inLocal);
        table.localVersion[s] = item.version;
        local.demandes++;
        const same =
          table.has(s, F.localLedgerHash) && table.has(s, F.localLedgerVersion) && table.ledgerVersion[s] === item.version;
        if (same) table.copyDigest(s, H.localLedger, H.local);
        else {
          const h = localHashOf(item.record);
          table.setDigest(s, H.local, h.hash);
          if (!h.canonical) {
            table.set(s, F.localNonCanonical);
            local.nonCanonical++;
          }
        }
        const facts = factsOf(item.record);
        if (!facts) {
          local.unreadable++;
          continue;
        }
        const motif = radiationOf(facts);
        if (motif === 'RADATT') table.set(s, F.localRadiatedAtt);
        else if (motif !== undefined) table.set(s, F.localRadiatedOther);
        for (const hit of demandeChecks(facts, checkOptions)) {
          // No detail text here (100,000 of them on a large territory): writers render it from `data`.
          checkFindings[hit.check].push({ kind: hit.check, numUnique: item.numUnique, reason: hit.check, data: hit.data });
        }
      }
      progress({ phase: Phase.local, done: local.demandes, total: Math.max(local.demandes, localExpected) });
    }
  };

  const stock = { mode: options.stockFile ? SourceMode.stock : SourceMode.ledger, demandes: 0, parsed: 0, withoutNumUnique: 0, duplicates: 0 } as {
    mode: SourceMode;
    demandes: number;
    parsed: number;
    withoutNumUnique: number;
    duplicates: number;
    splitter?: 'fast' | 'codec';
    dateFichier?: string;
  };
  const invalidAtSource = new Map<number, Issue[]>();
  const inline: FragmentParser = {
    parse: async (items) => {
      // Let the other reads (the local export's sockets) through between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return items.map((item) => parsedFragment(deps.codec, item));
    },
    close: async () => undefined,
  };
  let pool: FragmentParser | undefined;
  const parserFor = (parsed: number): FragmentParser => {
    if (parsed <= PARSE_INLINE || !deps.parserFactory) return inline;
    pool ??= deps.parserFactory();
    return pool;
  };

  const readStock = async (file: string): Promise<void> => {
    let batch: Array<{ slot: number; item: StreamItem }> = [];
    let inFlight: Array<Promise<void>> = [];
    const apply = (entries: typeof batch, results: ParsedFragment[]): void => {
      results.forEach((p, j) => {
        const s = entries[j]!.slot;
        const r = p.result;
        if (r.ok) table.setDigest(s, H.source, p.hash ?? contentHash(r.demande));
        else {
          table.set(s, F.sourceInvalid);
          invalidAtSource.set(s, r.issues);
        }
      });
    };
    const flush = (): void => {
      if (!batch.length) return;
      const entries = batch;
      batch = [];
      const p = parserFor(stock.parsed).parse(entries.map((e) => e.item)).then((results) => apply(entries, results));
      p.catch(() => undefined); // awaited below; this only marks it handled while it waits
      inFlight.push(p);
    };
    const context = { entete: {}, form: 'demande' as const, namespaces: {}, line: 0, column: 0 };
    const size = (await stat(file)).size;
    const result = await scanStock(file, {
      codec: deps.codec,
      onBytes: (bytes) => progress({ phase: Phase.stock, done: bytes, total: size }),
      onRestart: async () => {
        await Promise.all(inFlight);
        inFlight = [];
        batch = [];
        for (let s = 0; s < table.size; s++) table.clear(s, F.atSource | F.sourceInvalid);
        invalidAtSource.clear();
        Object.assign(stock, { demandes: 0, parsed: 0, withoutNumUnique: 0, duplicates: 0 });
      },
      onItem: (item) => {
        if (!item.numUnique) {
          stock.withoutNumUnique++;
          return;
        }
        stock.demandes++;
        const s = table.slot(item.numUnique);
        if (table.has(s, F.atSource)) stock.duplicates++;
        table.set(s, F.atSource);
        table.clear(s, F.sourceInvalid);
        if (table.has(s, F.sourceLedgerRaw) && table.digestIs(s, H.sourceLedgerRaw, item.rawHash)) {
          table.copyDigest(s, H.sourceLedger, H.source);
          return;
        }
        stock.parsed++;
        batch.push({ slot: s, item: { ...context, index: item.index, xml: item.xml() } });
        if (batch.length >= BATCH) flush();
        // Bounded work in flight: wait for the oldest batch before reading on.
        if (inFlight.length >= 8) {
          const oldest = inFlight.shift()!;
          return oldest;
        }
        return undefined;
      },
    });
    flush();
    await Promise.all(inFlight);
    stock.splitter = result.splitter;
    if (result.header.dateFichier) stock.dateFichier = result.header.dateFichier;
    problems.push(...result.problems);
  };

  if (!options.stockFile) {
    for (let s = 0; s < table.size; s++) {
      if (!table.has(s, F.inSourceLedger)) continue;
      table.set(s, F.atSource);
      table.copyDigest(s, H.sourceLedger, H.source);
      stock.demandes++;
    }
  }

  let events: EventsScan | undefined;
  try {
    await Promise.all([
      readLocal(),
      options.stockFile ? readStock(options.stockFile) : Promise.resolve(),
      scanEvents(
      { listEvenements: (o) => retryTransient(() => deps.local.listEvenements(o), sleep, log, 'local GET /evenements') },
      deps.tables,
      { onPage: (done) => progress({ phase: Phase.events, done }) },
    ).then((e) => {
        events = e;
      }),
    ]);
  } finally {
    await pool?.close();
  }
  const ev = events!;
  if (local.duplicates) problems.push({ path: 'local', rule: 'duplicate', message: `the local export listed ${local.duplicates} demand(s) twice` });
  if (local.unreadable) problems.push({ path: 'local', rule: 'unreadable', message: `${local.unreadable} local record(s) have no readable dateCreationDemande: regulatory checks skipped for them` });
  if (stock.withoutNumUnique) problems.push({ path: 'stock', rule: 'numunique-missing', message: `${stock.withoutNumUnique} demand(s) of the stock file have no numUnique: not compared` });
  if (stock.duplicates) problems.push({ path: 'stock', rule: 'duplicate', message: `${stock.duplicates} numéro(s) unique(s) appear more than once in the stock file: the last one was compared` });
  if (ev.invalidDecisions) problems.push({ path: 'evenements', rule: 'invalid-decision', message: `${ev.invalidDecisions} CAL decision event(s) are not valid events: left out of the checks (see the dead letters)` });

  // ---- 4. comparison ----------------------------------------------------------------------------
  const situationOf = (s: number): DemandeSituation => {
    const nu = table.numUnique(s);
    const atSource = table.has(s, F.atSource) && !table.has(s, F.sourceInvalid);
    return {
      ...(atSource ? { source: table.digestHex(s, H.source) } : {}),
      ...(table.has(s, F.inLocal) ? { local: table.digestHex(s, H.local) } : {}),
      ...(table.has(s, F.inLocalLedger)
        ? {
            ledger: {
              ...(table.has(s, F.localLedgerHash) ? { hash: table.digestHex(s, H.localLedger) } : {}),
              ...(table.failedHash.has(s) ? { failedHash: table.failedHash.get(s)! } : {}),
            },
          }
        : {}),
      ...(table.has(s, F.inSourceLedger) ? { sourceLedgerHash: table.digestHex(s, H.sourceLedger) } : {}),
      ...(ops.byNumUnique.get(nu) ?? {}),
    };
  };

  const candidates: Candidate[] = [];
  const sourceInvalidFindings: Finding[] = [];
  let compared = 0;
  let identical = 0;
  for (let s = 0; s < table.size; s++) {
    const atSource = table.has(s, F.atSource);
    const inLocal = table.has(s, F.inLocal);
    if (!atSource && !inLocal) continue;
    compared++;
    const nu = table.numUnique(s);
    if (atSource && table.has(s, F.sourceInvalid)) {
      if (!ops.byNumUnique.get(nu)?.quarantined) sourceInvalidFindings.push(sourceInvalidFinding(nu, invalidAtSource.get(s) ?? []));
      continue;
    }
    if (atSource && inLocal && table.digestEquals(s, H.source, H.local)) {
      identical++;
      continue;
    }
    const c = classify(situationOf(s));
    if (c) candidates.push({ slot: s, numUnique: nu, c, confirmed: false });
  }
  progress({ phase: Phase.compare, done: compared, total: compared });

  // ---- 5. attribution checks: which need the source's content --------------------------------------
  const reportDays = deps.config.reconcile.attributionReportDays;
  const leaseOf = (a: AttributionSeen): IsoDate => (a.prepared.ok && a.prepared.evenement.payload.dateSignatureBail) || a.occurredAt.slice(0, 10);
  const overdue = [...ev.attributions.values()].filter((a) => daysBetween(leaseOf(a), today) > reportDays);
  const sourceKnown = new Map<string, SourceKnowledge>();
  const needSource = new Set<string>();
  for (const a of overdue) {
    const s = table.find(a.numUnique);
    // Neither side knows the demand (erased since): nothing to report on.
    if (s === undefined || (!table.has(s, F.atSource) && !table.has(s, F.inLocal))) {
      sourceKnown.set(a.numUnique, { present: false });
      continue;
    }
    // Not in the stock: the source does not hold it (a missing-source finding, confirmed by a read, says so).
    if (options.stockFile && !table.has(s, F.atSource)) {
      sourceKnown.set(a.numUnique, { present: false });
      continue;
    }
    if (table.has(s, F.atSource) && table.has(s, F.inLocal) && !table.has(s, F.sourceInvalid) && table.digestEquals(s, H.source, H.local)) {
      // Same content on both sides: the local record's radiation is the source's.
      sourceKnown.set(a.numUnique, {
        present: true,
        ...(table.has(s, F.localRadiatedAtt) ? { motif: 'RADATT' } : table.has(s, F.localRadiatedOther) ? { motif: 'other' } : {}),
      });
    } else needSource.add(a.numUnique);
  }

  // ---- 6. confirmation: targeted reads of both sides -------------------------------------------------
  const budget = options.confirmMax ?? 1000;
  const limiter = new RateLimiter(deps.config.reconcile.rateLimit, undefined, deps.sleep);
  const confirmation = { reads: 0, resolved: 0, unconfirmed: 0, errors: {} as Record<string, number> };
  const byNu = new Map(candidates.map((c) => [c.numUnique, c]));
  const order = [
    ...[...needSource].filter((nu) => !byNu.has(nu)).map((nu) => ({ numUnique: nu, candidate: undefined as Candidate | undefined })),
    ...[...needSource].filter((nu) => byNu.has(nu)).map((nu) => ({ numUnique: nu, candidate: byNu.get(nu) })),
    ...candidates.filter((c) => !needSource.has(c.numUnique)).map((c) => ({ numUnique: c.numUnique, candidate: c as Candidate | undefined })),
  ];
  const dropped = new Set<Candidate>();
  let consecutiveFailures = 0;
  let next = 0;
  const confirmOne = async (entry: (typeof order)[number]): Promise<void> => {
    const nu = entry.numUnique;
    await limiter.take();
    let src: DemandeResult | null;
    let current: Awaited<ReturnType<ReconcileLocal['getDemande']>>;
    let ledgers: [LedgerEntry | undefined, LedgerEntry | undefined];
    try {
      confirmation.reads++;
      // Both sides read together: the difference is judged on contents of the same moment.
      const [a, b, c, d] = await Promise.all([
        deps.system.getDemande(nu),
        deps.local.getDemande(nu),
        deps.ledger.get(LOCAL_SYSTEM, nu),
        deps.ledger.get(system, nu),
      ]);
      src = a;
      current = b;
      ledgers = [c, d];
      consecutiveFailures = 0;
    } catch (e) {
      const code = toSafeError(e).code;
      confirmation.errors[code] = (confirmation.errors[code] ?? 0) + 1;
      consecutiveFailures++;
      if (entry.candidate) entry.candidate.note = `not confirmed: ${code}`;
      return;
    }
    if (src && src.ok) sourceKnown.set(nu, { present: true, ...(radiationOf(src.demande) ? { motif: radiationOf(src.demande)! } : {}) });
    else if (src === null) sourceKnown.set(nu, { present: false });
    const [ll, sl] = ledgers;
    const s = table.slot(nu);
    const localHash = current
      ? ll?.hash && ll.version === current.version
        ? ll.hash
        : localHashOf(current.record).hash
      : undefined;
    if (current) table.localVersion[s] = current.version;
    const fresh: DemandeSituation = {
      ...(src && src.ok ? { source: contentHash(src.demande) } : {}),
      ...(localHash ? { local: localHash } : {}),
      ...(ll ? { ledger: { ...(ll.hash ? { hash: ll.hash } : {}), ...(ll.failedHash ? { failedHash: ll.failedHash } : {}) } } : {}),
      ...(sl?.hash ? { sourceLedgerHash: sl.hash } : {}),
      ...(ops.byNumUnique.get(nu) ?? {}),
    };
    if (!entry.candidate) return;
    const candidate = entry.candidate;
    if (src && !src.ok) {
      // The source's current demand is not valid: it belongs with the quarantined records.
      dropped.add(candidate);
      if (!ops.byNumUnique.get(nu)?.quarantined) sourceInvalidFindings.push(sourceInvalidFinding(nu, src.issues));
      return;
    }
    const c = classify(fresh);
    if (!c) {
      dropped.add(candidate);
      confirmation.resolved++;
      return;
    }
    candidate.c = c;
    candidate.confirmed = true;
    if (src && src.ok && current) {
      candidate.diff = diffFields(src.demande, comparable(current.record), { values: showValues });
    }
  };
  const workers = Math.max(1, Math.min(8, deps.config.reconcile.rateLimit.max));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < order.length && confirmation.reads < budget && consecutiveFailures < 5) {
        const entry = order[next++]!;
        await confirmOne(entry);
        progress({ phase: Phase.confirm, done: confirmation.reads, total: Math.min(order.length, budget) });
      }
    }),
  );
  if (consecutiveFailures >= 5) {
    problems.push({ path: 'confirmation', rule: 'source-unavailable', message: `targeted reads of ${system} failed five times in a row: the remaining differences are reported unconfirmed` });
  }
  const kept = candidates.filter((c) => !dropped.has(c));
  const unconfirmed = kept.filter((c) => !c.confirmed);
  confirmation.unconfirmed = unconfirmed.length;
  if (unconfirmed.length && next >= budget) {
    problems.push({ path: 'confirmation', rule: 'budget', message: `${unconfirmed.length} difference(s) beyond the ${budget} targeted reads allowed: reported unconfirmed (--confirm-max)` });
  }

  // ---- 7. unconfirmed differences: fields from the stock ------------------------------------------------
  const diffMax = options.diffMax ?? 5000;
  if (options.stockFile) {
    const wanted = new Map<string, Candidate | undefined>();
    for (const c of unconfirmed) {
      if (wanted.size >= diffMax) break;
      if ((c.c.category === Category.divergent || c.c.category === Category.changedLocally) && !c.diff) wanted.set(c.numUnique, c);
    }
    for (const nu of needSource) if (!sourceKnown.has(nu)) wanted.set(nu, wanted.get(nu) ?? byNu.get(nu));
    if (wanted.size) {
      await scanStock(options.stockFile, {
        codec: deps.codec,
        onItem: async (item) => {
          if (!item.numUnique || !wanted.has(item.numUnique)) return;
          const r = deps.codec.parseFragment(item.xml(), { index: item.index });
          if (!r.ok) return;
          const nu = item.numUnique;
          if (!sourceKnown.has(nu)) sourceKnown.set(nu, { present: true, ...(radiationOf(r.demande) ? { motif: radiationOf(r.demande)! } : {}) });
          const c = wanted.get(nu);
          if (!c || dropped.has(c)) return;
          const current = await deps.local.getDemande(nu).catch(() => null);
          if (current) c.diff = diffFields(r.demande, comparable(current.record), { values: showValues });
        },
      });
    }
    if (unconfirmed.length > diffMax) {
      problems.push({ path: 'confirmation', rule: 'diff-limit', message: `fields listed for the first ${diffMax} unconfirmed differences only` });
    }
  }

  // ---- 8. regulatory checks from the events --------------------------------------------------------
  const eventStops = (eventId: string): StoppedAt[] => [
    ...(ops.pendingEvents.has(eventId) ? [StoppedAt.pushPending] : []),
    ...(ops.deadLetterByEvent.has(eventId) ? [StoppedAt.deadLetter] : []),
  ];
  // Decisions by dwelling (bailleur + RPLS id, bailleur + own id), to find each lease's ranked candidates.
  const byDwelling = new Map<string, EventsScan['rankDecisions']>();
  const dwellingKeys = (l: { bailleurSiren: string; rpls?: string; bailleurLogementId?: string }): string[] => [
    ...(l.rpls ? [`${l.bailleurSiren}|r|${l.rpls}`] : []),
    ...(l.bailleurLogementId ? [`${l.bailleurSiren}|b|${l.bailleurLogementId}`] : []),
  ];
  for (const d of ev.rankDecisions) {
    for (const k of dwellingKeys(d.payload.logement)) {
      const list = byDwelling.get(k) ?? [];
      list.push(d);
      byDwelling.set(k, list);
    }
  }
  const notHoused = new Map<string, Finding>();
  let checked = 0;
  for (const a of ev.attributions.values()) {
    checked++;
    const stoppedAt = eventStops(a.eventId);
    const deadLetterId = ops.deadLetterByEvent.get(a.eventId);
    const refs = { eventId: a.eventId, ...(deadLetterId ? { deadLetterId } : {}) };
    let violations: Violation[] = [];
    if (!a.prepared.ok) violations = a.prepared.violations;
    else {
      const m = await mapAttribution(a.prepared.evenement.payload, deps.tables, { fallbackDate: a.occurredAt.slice(0, 10) });
      if (!m.ok) violations = m.violations;
    }
    if (violations.length) {
      checkFindings[Check.attributionIncomplete].push({
        kind: Check.attributionIncomplete,
        numUnique: a.numUnique,
        reason: violations[0]!.rule,
        detail: [...new Set(violations.map((v) => v.rule))].join(', '),
        fields: pathsOf(violations),
        refs,
        ...(stoppedAt.length ? { stoppedAt } : {}),
        data: { seq: a.seq, occurredAt: a.occurredAt },
      });
    }
    const lease = leaseOf(a);
    const late = daysBetween(lease, today);
    const known = sourceKnown.get(a.numUnique);
    // A demand the source does not hold is reported as missing there, not here.
    if (!(known && !known.present) && isAttributionReportOverdue(lease, today, reportDays, known?.motif)) {
      const where = known === undefined ? 'not read' : known.motif ? 'radiated with another motif' : 'still active';
      checkFindings[Check.attributionNotReported].push({
        kind: Check.attributionNotReported,
        numUnique: a.numUnique,
        reason: known === undefined ? 'source-unknown' : known.motif ? 'radiated-otherwise' : 'not-radiated',
        detail: `lease signed ${lease}, ${late} days ago (limit ${reportDays}); source: ${where}${ev.calAttributed.has(a.numUnique) ? '' : '; no CAL decision in the feed'}`,
        refs,
        ...(stoppedAt.length ? { stoppedAt } : {}),
        data: { dateSignatureBail: lease, daysSinceLease: late, limitDays: reportDays, calDecision: ev.calAttributed.has(a.numUnique), confirmed: known !== undefined },
      });
    }
    if (a.prepared.ok) {
      const p = a.prepared.evenement.payload;
      const pool = new Set(dwellingKeys(p.logement).flatMap((k) => byDwelling.get(k) ?? []));
      if (pool.size) {
        const below = attributedButNotHoused([...pool], {
          numUnique: a.numUnique,
          logement: p.logement,
          ...(p.dateCommission ? { dateCommission: p.dateCommission } : {}),
        });
        for (const nu of below) {
          const s = table.find(nu);
          // Radiated since (housed elsewhere, renounced...) or attributed itself: no longer "not housed".
          if (s !== undefined && (table.has(s, F.localRadiatedAtt) || table.has(s, F.localRadiatedOther))) continue;
          if (ev.attributions.has(nu) || notHoused.has(nu)) continue;
          const d = [...pool].find((x) => x.numUnique === nu && x.payload.decision.kind === 'attributionRang');
          const rang = d && d.payload.decision.kind === 'attributionRang' ? d.payload.decision.rang : undefined;
          notHoused.set(nu, {
            kind: Check.attributedNotHoused,
            numUnique: nu,
            reason: 'ranked-below-housed',
            detail: `ranked ${rang ?? '?'} at the CAL of ${d?.payload.dateCommission ?? '?'}; the dwelling went to demand ${a.numUnique}`,
            refs: { eventId: a.eventId },
            data: { ...(rang !== undefined ? { rang } : {}), ...(d ? { dateCommission: d.payload.dateCommission } : {}), housedNumUnique: a.numUnique },
          });
        }
      }
    }
    if (checked % 1000 === 0) progress({ phase: Phase.checks, done: checked, total: ev.attributions.size });
  }
  checkFindings[Check.attributedNotHoused].push(...notHoused.values());
  progress({ phase: Phase.checks, done: checked, total: ev.attributions.size });

  // ---- 9. the report ---------------------------------------------------------------------------------------
  const findings = Object.fromEntries(categories.map((c) => [c, [] as Finding[]])) as Record<Category, Finding[]>;
  for (const cand of kept) {
    const s = cand.slot;
    const c = cand.c;
    findings[c.category].push({
      kind: c.category,
      numUnique: cand.numUnique,
      reason: c.reason,
      ...(cand.diff ? { fields: cand.diff.paths, ...(cand.diff.truncated ? { fieldsTruncated: true } : {}) } : {}),
      detail: [REASON_TEXT[c.reason], cand.note].filter(Boolean).join('; '),
      ...(c.stoppedAt.length ? { stoppedAt: c.stoppedAt } : {}),
      confirmed: cand.confirmed,
      ...(c.fix ? { fix: c.fix } : {}),
      refs: {
        ...(table.has(s, F.inLocal) ? { localVersion: table.localVersion[s]! } : {}),
        ...(c.ledgerReset ? { ledgerReset: c.ledgerReset } : {}),
        ...(c.deadLetterId ? { deadLetterId: c.deadLetterId } : {}),
        system,
      },
      ...(showValues && cand.diff?.values ? { values: cand.diff.values } : {}),
    });
  }
  findings[Category.conflict].push(...ops.findings.conflict);
  findings[Category.deadLetter].push(...ops.findings['dead-letter']);
  findings[Category.quarantined].push(...ops.findings.quarantined, ...sourceInvalidFindings);
  findings[Category.pushPending].push(...ops.findings['push-pending']);
  const byNumUnique = (a: Finding, b: Finding) => ((a.numUnique ?? '') < (b.numUnique ?? '') ? -1 : (a.numUnique ?? '') > (b.numUnique ?? '') ? 1 : 0);
  for (const list of Object.values(findings)) list.sort(byNumUnique);
  for (const list of Object.values(checkFindings)) list.sort(byNumUnique);
  const counts = emptyCounts();
  for (const c of categories) counts[c] = findings[c].length;
  for (const c of checks) counts[c] = checkFindings[c].length;

  const finished = now();
  const report: ReconcileReport = {
    format: 'passerelle.reconcile/1',
    id,
    system,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    today,
    source: {
      mode: stock.mode,
      ...(options.stockFile ? { file: basename(options.stockFile) } : {}),
      ...(stock.dateFichier ? { dateFichier: stock.dateFichier } : {}),
      ...(stock.splitter ? { splitter: stock.splitter } : {}),
      demandes: stock.demandes,
      parsed: stock.parsed,
    },
    local: { demandes: local.demandes, evenements: ev.evenements, nonCanonical: local.nonCanonical },
    compared: { demandes: compared, identical },
    confirmation: {
      reads: confirmation.reads,
      budget,
      rateLimit: { max: deps.config.reconcile.rateLimit.max, durationMs: deps.config.reconcile.rateLimit.durationMs },
      resolved: confirmation.resolved,
      unconfirmed: confirmation.unconfirmed,
      errors: confirmation.errors,
    },
    counts,
    findings,
    checks: checkFindings,
    problems,
    showValues,
  };
  log.info('reconciliation done', { reportId: id, durationMs: report.durationMs, compared, identical, counts });
  return report;
}

function sourceInvalidFinding(numUnique: string, issues: readonly Issue[]): Finding {
  return {
    kind: Category.quarantined,
    numUnique,
    reason: 'source-invalid',
    detail: `the source holds a demand that is not valid: ${[...new Set(issues.map((i) => i.rule))].join(', ') || 'invalid'}`,
    fields: pathsOf(issues),
  };
}

/** `reconcile-sne-20250314T023000Z`: sorts by date, safe in a URL and a file name. */
export function reportId(system: string, at: Date): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `reconcile-${system.replace(/[^A-Za-z0-9]/g, '_')}-${stamp}`;
}
