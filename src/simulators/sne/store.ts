/**
 * The SNE simulator's stock of demands.
 *
 * Sized for 300,000 demands without holding them: the seeded part of the stock is **regenerated on
 * demand** from (seed, index) with the synthetic generator (a numéro unique carries its index in its
 * 6-digit sequence), and only what changed since is kept, in a map of overrides (created, modified,
 * radiated, deleted demands). The "since" services and the duplicate search need to know which seeded
 * demands are radiated, DALO or share an identity: one background scan (about 9,000 demands/s) builds
 * small indexes of those, once; queries wait for it.
 *
 * Persistence (optional): every change is appended to a JSON-lines file before it is applied in memory,
 * and the file is replayed on start, so the demo and crash tests can restart the simulator. The first
 * line records the seed options: a restart with other options is refused.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Demande, IsoDate } from '../../domain';
import { seedHash, territories, isTerritoryKey, DEFAULT_TERRITORY, DEFAULT_TODAY, type Seed, type TerritoryKey } from '../../synthetic';
import { sequenceOffset } from '../../synthetic/lifecycle';
import { dayStart, foldName, identityKey, scanInWorker, scanRange, seededDemande, type ScanResult, type ScanSpec } from './scan';

/** What kind of write (or admin change) produced a version of a demand. */
export const ChangeKind = {
  create: 'create',
  modify: 'modify',
  renew: 'renew',
  radiate: 'radiate',
  reactivate: 'reactivate',
  remove: 'remove',
  dalo: 'dalo',
  admin: 'admin',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

/** A demand as the simulator holds it. */
export interface SneRecord {
  numUnique: string;
  /** Canonical demand, `numUnique` set, `radiation` present when radiated. */
  demande: Demande;
  /** When the radiation was recorded (ISO instant): what `getDemandesRadieesDepuisLe` compares. */
  radiatedAt?: string;
  /** When a DALO recognition was recorded (ISO instant): what `getNouveauxDaloDepuisLe` compares. */
  daloAt?: string;
  /** Changes applied to it (0: a seeded demand never touched). */
  version: number;
  updatedAt?: string;
  origin: 'seed' | 'created';
}

/** One applied write of the log (`GET /_sim/writes`). */
export interface WriteLogEntry {
  seq: number;
  numUnique: string;
  typeFichier: string;
  kind: ChangeKind;
  at: string;
  nomFichierDemande: string;
  /** Element names of the extra blocks the file carried (decisions, attributions...). */
  blocks: string[];
}

/** What `GET /_sim/stats` reports. */
export interface SneStats {
  /** Demands in stock (seeded + created - deleted). */
  demandes: number;
  /** Writes applied (each `getNumUnique` that changed something). */
  writes: number;
  /** Writes recognised as a resubmission of an earlier one: answered, not applied. */
  duplicateWrites: number;
  writesByType: Record<string, number>;
  duplicatesByType: Record<string, number>;
  /** Writes refused with anomalies (not persisted: since the process started). */
  refusedWrites: number;
  anomalies: Record<string, number>;
  /** Requests per operation, SOAP faults, reused file names (since the process started). */
  requests: Record<string, number>;
  soapFaults: number;
  fileNameReuses: number;
  /** Changes made through the admin routes (DALO marks, patches). */
  adminChanges: number;
  dispatchFiles: number;
  /** The seeded part: its size and whether the index scan is done. */
  seeded: { count: number; startIndex: number; indexed: boolean };
}

export interface SneStoreOptions {
  /** Seed of the generated stock (default 1); `count` 0 for an empty stock. */
  seed?: Seed;
  count?: number;
  startIndex?: number;
  territory?: TerritoryKey | string;
  /** The day the generated stock describes (default the generator's fixed day). */
  today?: IsoDate;
  /** JSON-lines file kept across restarts; in memory only when absent. */
  persistPath?: string;
  clock?: () => Date;
  /** Zone of the day a seeded radiation or DALO decision counts from (default Europe/Paris). */
  timeZone?: string;
  /** Start the index scan at once (default true); otherwise at the first query that needs it. */
  indexAtStart?: boolean;
  /** Worker threads of the index scan of a large stock (default 2). */
  scanThreads?: number;
  /** A stock smaller than this is scanned in the simulator's own thread (default 20,000). */
  scanInThreadBelow?: number;
}

interface InitLine {
  t: 'init';
  v: 1;
  seed: Seed;
  count: number;
  startIndex: number;
  territory: string;
  today: IsoDate;
}

type StoreEvent =
  | InitLine
  | { t: 'put'; record: SneRecord; write?: WriteLogEntry; key?: string; created?: boolean; admin?: boolean }
  | { t: 'del'; numUnique: string; write: WriteLogEntry; key?: string }
  | { t: 'dup'; typeFichier: string };

/** A seeded demand whose date counts for a "since" service. */
interface Dated {
  index: number;
  numUnique: string;
  at: number;
}

const MAX_SEEDED = 1_000_000;

/** A recognition DALO of a demand: a decision with a date. */
function daloDate(d: Demande): IsoDate | undefined {
  return d.dalo?.dateDecision;
}

export class SneStore {
  readonly seed: Seed;
  readonly count: number;
  readonly startIndex: number;
  readonly territory: TerritoryKey;
  readonly today: IsoDate;
  private readonly offset: number;
  private readonly clock: () => Date;
  private readonly timeZone: string;
  private readonly overrides = new Map<string, SneRecord | { deleted: true; origin: 'seed' | 'created' }>();
  private readonly createdOrder: string[] = [];
  private readonly duplicateKeys = new Map<string, string>();
  private readonly log: WriteLogEntry[] = [];
  private readonly fd: number | undefined;
  private writeSeq = 0;
  private createdCount = 0;
  private deletedCount = 0;
  private readonly counters = {
    writes: 0,
    duplicateWrites: 0,
    writesByType: {} as Record<string, number>,
    duplicatesByType: {} as Record<string, number>,
    refusedWrites: 0,
    anomalies: {} as Record<string, number>,
    requests: {} as Record<string, number>,
    soapFaults: 0,
    fileNameReuses: 0,
    adminChanges: 0,
    dispatchFiles: 0,
  };
  private readonly fileNames = new Set<string>();
  // Indexes of the seeded part, filled by one scan.
  private radiated: Dated[] = [];
  private dalo: Dated[] = [];
  private identities = new Map<number, number | number[]>();
  private indexing: Promise<void> | undefined;
  private indexError: unknown;
  private indexed = false;
  private closed = false;
  private readonly scanThreads: number;
  private readonly scanInThreadBelow: number;
  private stopScan: (() => Promise<void>) | undefined;

  constructor(options: SneStoreOptions = {}) {
    this.seed = options.seed ?? 1;
    this.count = options.count ?? 0;
    this.startIndex = options.startIndex ?? 0;
    const territory = options.territory ?? DEFAULT_TERRITORY;
    if (!isTerritoryKey(territory)) throw new Error(`SNE simulator: unknown territory preset (one of ${Object.keys(territories).join(', ')})`);
    this.territory = territory;
    this.today = options.today ?? DEFAULT_TODAY;
    if (!Number.isSafeInteger(this.count) || this.count < 0 || this.count > MAX_SEEDED) {
      throw new Error(`SNE simulator: count must be a whole number from 0 to ${MAX_SEEDED} (numéros uniques carry a 6-digit sequence)`);
    }
    if (!Number.isSafeInteger(this.startIndex) || this.startIndex < 0) throw new Error('SNE simulator: startIndex must be a whole number >= 0');
    this.offset = sequenceOffset(seedHash(this.seed));
    this.clock = options.clock ?? (() => new Date());
    this.timeZone = options.timeZone ?? 'Europe/Paris';
    this.scanThreads = Math.max(1, options.scanThreads ?? 2);
    this.scanInThreadBelow = options.scanInThreadBelow ?? 20_000;
    if (options.persistPath) {
      this.fd = this.openAndReplay(options.persistPath);
    }
    if (options.indexAtStart ?? true) this.startIndexing();
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** The demand under `numUnique`, or undefined when unknown or deleted. */
  get(numUnique: string): SneRecord | undefined {
    const o = this.overrides.get(numUnique);
    if (o) return 'deleted' in o ? undefined : o;
    const index = this.seededIndexOf(numUnique);
    if (index === undefined) return undefined;
    const d = this.generate(index);
    return d.numUnique === numUnique ? this.seededRecord(d) : undefined;
  }

  /** True when the number was once in the stock and was deleted (`SUP`). */
  isDeleted(numUnique: string): boolean {
    const o = this.overrides.get(numUnique);
    return o !== undefined && 'deleted' in o;
  }

  /** Every demand in stock: seeded ones in index order (changed ones as changed), then created ones. */
  *iterate(): Generator<SneRecord> {
    for (let i = this.startIndex; i < this.startIndex + this.count; i++) {
      const d = this.generate(i);
      const nu = d.numUnique as string;
      const o = this.overrides.get(nu);
      if (o === undefined) yield this.seededRecord(d);
      else if (!('deleted' in o)) yield o;
    }
    for (const nu of this.createdOrder) {
      const o = this.overrides.get(nu);
      if (o && !('deleted' in o)) yield o;
    }
  }

  /** Demands radiated at or after `since` (epoch ms), oldest radiation first. */
  async radieesDepuis(since: number): Promise<SneRecord[]> {
    return this.datedSince(since, (r) => r.radiatedAt, () => this.radiated);
  }

  /** Demands recognised DALO at or after `since` (epoch ms), oldest first. */
  async daloDepuis(since: number): Promise<SneRecord[]> {
    return this.datedSince(since, (r) => r.daloAt, () => this.dalo);
  }

  /**
   * Possible duplicates of an applicant: same name (accents and case folded) and birth date, among the
   * applicants and co-holders... of the stock's applicants only (what the simulator can index cheaply).
   */
  async doublons(nom: string, prenom: string | undefined, dateNaissance: string, exclude?: string): Promise<Array<{ numUnique: string; criteres: string[] }>> {
    await this.ensureIndex();
    const key = identityKey(nom, dateNaissance);
    const wanted = foldName(nom);
    const out: Array<{ numUnique: string; criteres: string[] }> = [];
    const consider = (r: SneRecord): void => {
      if (r.numUnique === exclude) return;
      const a = r.demande.demandeur;
      if (foldName(a.nom) !== wanted || a.dateNaissance !== dateNaissance) return;
      const criteres = ['NOM', 'DATE_NAISSANCE'];
      if (prenom !== undefined && foldName(a.prenom) === foldName(prenom)) criteres.splice(1, 0, 'PRENOM');
      out.push({ numUnique: r.numUnique, criteres });
    };
    const hit = this.identities.get(key);
    for (const index of hit === undefined ? [] : Array.isArray(hit) ? hit : [hit]) {
      const d = this.generate(index);
      if (!this.overrides.has(d.numUnique as string)) consider(this.seededRecord(d));
    }
    for (const o of this.overrides.values()) if (!('deleted' in o)) consider(o);
    return out.sort((a, b) => (a.numUnique < b.numUnique ? -1 : 1));
  }

  /** Applied writes, in order; only those of one demand when `numUnique` is given. */
  writes(numUnique?: string): WriteLogEntry[] {
    return numUnique === undefined ? [...this.log] : this.log.filter((w) => w.numUnique === numUnique);
  }

  /** The demand a resubmitted write was first applied to, if `key` was seen. */
  duplicateOf(key: string): string | undefined {
    return this.duplicateKeys.get(key);
  }

  stats(): SneStats {
    const c = this.counters;
    return {
      demandes: this.count + this.createdCount - this.deletedCount,
      writes: c.writes,
      duplicateWrites: c.duplicateWrites,
      writesByType: { ...c.writesByType },
      duplicatesByType: { ...c.duplicatesByType },
      refusedWrites: c.refusedWrites,
      anomalies: { ...c.anomalies },
      requests: { ...c.requests },
      soapFaults: c.soapFaults,
      fileNameReuses: c.fileNameReuses,
      adminChanges: c.adminChanges,
      dispatchFiles: c.dispatchFiles,
      seeded: { count: this.count, startIndex: this.startIndex, indexed: this.indexed },
    };
  }

  // ---- counting what is not a change ------------------------------------------------------------

  countRequest(operation: string): void {
    this.counters.requests[operation] = (this.counters.requests[operation] ?? 0) + 1;
  }

  countFault(): void {
    this.counters.soapFaults++;
  }

  countRefused(codes: readonly string[]): void {
    this.counters.refusedWrites++;
    for (const c of codes) this.counters.anomalies[c] = (this.counters.anomalies[c] ?? 0) + 1;
  }

  countAnomalies(codes: readonly string[]): void {
    for (const c of codes) this.counters.anomalies[c] = (this.counters.anomalies[c] ?? 0) + 1;
  }

  /** Records a file name; true when it was already used. */
  noteFileName(name: string): boolean {
    if (this.fileNames.has(name)) {
      this.counters.fileNameReuses++;
      return true;
    }
    this.fileNames.add(name);
    return false;
  }

  countDispatchFile(): void {
    this.counters.dispatchFiles++;
  }

  /** A resubmitted write: counted (and persisted, so the count survives a restart), nothing applied. */
  recordDuplicate(typeFichier: string): void {
    this.commit({ t: 'dup', typeFichier });
  }

  // ---- changing ---------------------------------------------------------------------------------

  /** A new numéro unique in the usual layout (domain.md §5), never used in this stock. */
  nextNumUnique(dateCreationDemande: IsoDate, guichet: string): string {
    const territory = territories[this.territory].numUniqueTerritory;
    const month = dateCreationDemande.slice(5, 7);
    const year = dateCreationDemande.slice(2, 4);
    // Created demands number on after the seeded ones: no clash below a million demands in all.
    for (let k = 0; k < MAX_SEEDED; k++) {
      const seq = (this.offset + this.startIndex + this.count + this.createdCount + k) % MAX_SEEDED;
      const nu = `${territory}${month}${year}${String(seq).padStart(6, '0')}${guichet}`;
      if (!this.overrides.has(nu) && this.get(nu) === undefined) return nu;
    }
    throw new Error('SNE simulator: no numéro unique left');
  }

  /**
   * Applies a change: the new version of a demand (`put`) or its deletion (`remove`), with the write
   * it comes from (logged) and its duplicate key. Persisted first, then applied.
   */
  put(record: Omit<SneRecord, 'version' | 'updatedAt'>, write?: Omit<WriteLogEntry, 'seq' | 'at'>, key?: string): SneRecord {
    const previous = this.overrides.get(record.numUnique);
    const before = previous && !('deleted' in previous) ? previous : this.get(record.numUnique);
    const created = before === undefined;
    const at = this.clock().toISOString();
    const full: SneRecord = { ...record, version: (before?.version ?? 0) + 1, updatedAt: at };
    this.commit({
      t: 'put',
      record: full,
      ...(write ? { write: { ...write, seq: this.writeSeq + 1, at } } : {}),
      ...(key ? { key } : {}),
      ...(created ? { created: true } : {}),
      ...(write ? {} : { admin: true }),
    });
    return full;
  }

  remove(numUnique: string, write: Omit<WriteLogEntry, 'seq' | 'at'>, key?: string): void {
    const at = this.clock().toISOString();
    this.commit({ t: 'del', numUnique, write: { ...write, seq: this.writeSeq + 1, at }, ...(key ? { key } : {}) });
  }

  /** Waits for the index scan of the seeded stock (started at creation or now). */
  async ensureIndex(): Promise<void> {
    this.startIndexing();
    await this.indexing;
    if (this.indexError !== undefined) throw this.indexError;
  }

  /** Stops the scan and closes the persistence file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The scan's threads are ended; their promise then fails, which the index records (nobody waits).
    this.stopScan?.().catch(() => undefined);
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }

  // ---- internals --------------------------------------------------------------------------------

  private generate(index: number): Demande {
    return seededDemande(this, index);
  }

  private seededIndexOf(numUnique: string): number | undefined {
    if (numUnique.length !== 18 || this.count === 0) return undefined;
    const seq = numUnique.slice(7, 13);
    if (!/^\d{6}$/.test(seq)) return undefined;
    const index = (((Number(seq) - this.offset) % MAX_SEEDED) + MAX_SEEDED) % MAX_SEEDED;
    return index >= this.startIndex && index < this.startIndex + this.count ? index : undefined;
  }

  private seededRecord(d: Demande): SneRecord {
    const radiation = d.radiation?.date;
    const dalo = daloDate(d);
    return {
      numUnique: d.numUnique as string,
      demande: d,
      ...(radiation ? { radiatedAt: new Date(dayStart(radiation, this.timeZone)).toISOString() } : {}),
      ...(dalo ? { daloAt: new Date(dayStart(dalo, this.timeZone)).toISOString() } : {}),
      version: 0,
      origin: 'seed',
    };
  }

  private async datedSince(since: number, dateOf: (r: SneRecord) => string | undefined, seeded: () => Dated[]): Promise<SneRecord[]> {
    await this.ensureIndex();
    const found: Array<{ at: number; record: SneRecord }> = [];
    for (const e of seeded()) {
      if (e.at < since || this.overrides.has(e.numUnique)) continue;
      found.push({ at: e.at, record: this.seededRecord(this.generate(e.index)) });
    }
    for (const o of this.overrides.values()) {
      if ('deleted' in o) continue;
      const d = dateOf(o);
      const at = d === undefined ? NaN : Date.parse(d);
      if (at >= since) found.push({ at, record: o });
    }
    return found.sort((a, b) => a.at - b.at || (a.record.numUnique < b.record.numUnique ? -1 : 1)).map((f) => f.record);
  }

  private startIndexing(): void {
    if (this.indexing || this.closed) return;
    this.indexing = this.scan().catch((e: unknown) => {
      // Kept for the queries that wait on the index: they rethrow it.
      this.indexError = e;
    });
  }

  /**
   * One pass over the seeded stock: in this thread for a small stock (yielding to the event loop every
   * 500 demands), in worker threads for a large one.
   */
  private async scan(): Promise<void> {
    const spec: ScanSpec = { seed: this.seed, territory: this.territory, today: this.today, timeZone: this.timeZone, start: this.startIndex, end: this.startIndex + this.count };
    let parts: Array<{ start: number; result: ScanResult }>;
    if (this.count < this.scanInThreadBelow) {
      const result = await scanRange(spec, async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        return !this.closed;
      });
      if (!result) return;
      parts = [{ start: spec.start, result }];
    } else {
      const size = Math.ceil(this.count / this.scanThreads);
      const ranges = Array.from({ length: this.scanThreads }, (_, k) => ({ start: spec.start + k * size, end: Math.min(spec.end, spec.start + (k + 1) * size) })).filter((r) => r.start < r.end);
      const runs = ranges.map((r) => ({ start: r.start, run: scanInWorker({ ...spec, ...r }) }));
      this.stopScan = async () => {
        await Promise.all(runs.map((r) => r.run.stop()));
      };
      parts = await Promise.all(runs.map(async (r) => ({ start: r.start, result: await r.run.result })));
      this.stopScan = undefined;
    }
    if (this.closed) return;
    const radiated: Dated[] = [];
    const dalo: Dated[] = [];
    const identities = new Map<number, number | number[]>();
    for (const { start, result } of parts) {
      result.radiated.index.forEach((index, k) => radiated.push({ index, at: result.radiated.at[k] as number, numUnique: result.radiated.numUnique[k] as string }));
      result.dalo.index.forEach((index, k) => dalo.push({ index, at: result.dalo.at[k] as number, numUnique: result.dalo.numUnique[k] as string }));
      result.identities.forEach((key, k) => {
        const i = start + k;
        const prev = identities.get(key);
        if (prev === undefined) identities.set(key, i);
        else if (Array.isArray(prev)) prev.push(i);
        else identities.set(key, [prev, i]);
      });
    }
    radiated.sort((a, b) => a.at - b.at);
    dalo.sort((a, b) => a.at - b.at);
    this.radiated = radiated;
    this.dalo = dalo;
    this.identities = identities;
    this.indexed = true;
  }

  private commit(event: StoreEvent): void {
    if (this.closed) throw new Error('SNE simulator: the store is closed');
    if (this.fd !== undefined) fs.writeSync(this.fd, `${JSON.stringify(event)}\n`);
    this.apply(event);
  }

  private apply(event: StoreEvent): void {
    const c = this.counters;
    switch (event.t) {
      case 'init':
        return;
      case 'dup':
        c.duplicateWrites++;
        c.duplicatesByType[event.typeFichier] = (c.duplicatesByType[event.typeFichier] ?? 0) + 1;
        return;
      case 'put': {
        const r = event.record;
        if (event.created) {
          this.createdCount++;
          this.createdOrder.push(r.numUnique);
        }
        this.overrides.set(r.numUnique, r);
        if (event.admin) c.adminChanges++;
        break;
      }
      case 'del': {
        const before = this.get(event.numUnique);
        if (before) {
          this.deletedCount++;
          this.overrides.set(event.numUnique, { deleted: true, origin: before.origin });
        }
        break;
      }
    }
    if (event.write) {
      this.writeSeq = event.write.seq;
      this.log.push(event.write);
      // Known names survive a restart; counting a reuse is the service's job (it sees every request).
      this.fileNames.add(event.write.nomFichierDemande);
      c.writes++;
      c.writesByType[event.write.typeFichier] = (c.writesByType[event.write.typeFichier] ?? 0) + 1;
    }
    if (event.key) this.duplicateKeys.set(event.key, event.write?.numUnique ?? '');
  }

  private openAndReplay(path: string): number {
    const init: InitLine = {
      t: 'init',
      v: 1,
      seed: this.seed,
      count: this.count,
      startIndex: this.startIndex,
      territory: this.territory,
      today: this.today,
    };
    let text = '';
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lines = text.split('\n');
    // A crash can leave a last line half written: it was never acknowledged, drop it.
    if (lines.length && lines[lines.length - 1] !== '') {
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      fs.writeFileSync(path, complete);
      lines.pop();
    }
    const events = lines.filter((l) => l !== '').map((l) => JSON.parse(l) as StoreEvent);
    const first = events[0];
    if (first && (first.t !== 'init' || JSON.stringify({ ...first }) !== JSON.stringify(init))) {
      throw new Error(`SNE simulator: ${path} was written with other seed options (seed, count, startIndex, territory, today); remove it or start with the same options`);
    }
    for (const e of events) this.apply(e);
    fs.mkdirSync(dirname(path), { recursive: true });
    const fd = fs.openSync(path, 'a');
    if (!first) fs.writeSync(fd, `${JSON.stringify(init)}\n`);
    return fd;
  }
}
