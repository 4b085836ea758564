/**
 * Storage of the local-tool simulator (better-sqlite3, WAL): demands with a version, events with a
 * sequence number, acknowledgements, and the counters tests read to prove what was written.
 *
 * Sized for 300,000 demands: every read is by primary key or keyset range (never a full-table load),
 * statements are prepared once, and each write is one short transaction.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../common/content-hash';

/** A demand as stored: the record is the JSON value the last write (or local change) left. */
export interface StoredDemande {
  numUnique: string;
  version: number;
  updatedAt: string;
  record: unknown;
}

/** A demand with its record still as JSON text (for building export pages without re-serialising). */
export interface StoredDemandeRow {
  numUnique: string;
  version: number;
  updatedAt: string;
  recordJson: string;
}

/** `If-Match` as the store understands it: absent (create only), `*` (any existing version) or a version. */
export type IfMatch = number | '*' | undefined;

export const PutOutcome = {
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  conflict: 'conflict',
  notFound: 'not_found',
} as const;
export type PutOutcome = (typeof PutOutcome)[keyof typeof PutOutcome];

export const ConflictReason = {
  /** A create (no `If-Match`) found the demand already there with another content. */
  exists: 'exists',
  /** The demand's version is no longer the one in `If-Match`: it changed on the local side. */
  versionMismatch: 'version_mismatch',
} as const;
export type ConflictReason = (typeof ConflictReason)[keyof typeof ConflictReason];

export type PutResult =
  | { outcome: 'created' | 'updated' | 'unchanged'; numUnique: string; version: number; updatedAt: string }
  | { outcome: 'conflict'; reason: ConflictReason; currentVersion: number; updatedAt: string }
  | { outcome: 'not_found' };

export interface Evenement {
  id: string;
  seq: number;
  numUnique: string;
  type: string;
  occurredAt: string;
  payload: unknown;
  recordedAt: string;
}

export interface NewEvenement {
  id?: string;
  numUnique: string;
  type: string;
  occurredAt: string;
  payload: unknown;
}

export const AckStatus = { delivered: 'delivered', rejected: 'rejected', retrying: 'retrying' } as const;
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];

export interface Acquittement {
  seq: number;
  evenementId: string;
  status: AckStatus;
  code?: string;
  message?: string;
  target?: string;
  at: string;
  receivedAt: string;
}

export interface NewAcquittement {
  status: AckStatus;
  code?: string;
  message?: string;
  target?: string;
  at?: string;
}

/** What `GET /_sim/stats` reports. */
export interface SimStats {
  demandes: number;
  /** PUTs that changed a demand (creates and updates). */
  writes: number;
  /** PUTs whose record was identical to the stored one: nothing written. */
  noopWrites: number;
  /** PUTs refused with 409. */
  conflicts: number;
  /** Writes whose content had already been written for that demand before: a duplicate effect. */
  duplicateContentWrites: number;
  /** Changes made on the local side through the simulator's `touch`. */
  localChanges: number;
  events: number;
  acks: number;
  /** Writes per asked numUnique (only the ones asked for). */
  writesByNumUnique: Record<string, number>;
}

export interface LocalStoreOptions {
  /** A file path (kept across restarts) or `:memory:`. */
  dbPath: string;
  /** Clock for `updatedAt`, `recordedAt`, `receivedAt`. */
  now?: () => Date;
}

const COUNTERS = ['writes', 'noopWrites', 'conflicts', 'duplicateContentWrites', 'localChanges'] as const;
type Counter = (typeof COUNTERS)[number];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS demandes (
  num_unique   TEXT PRIMARY KEY NOT NULL,
  version      INTEGER NOT NULL,
  updated_at   TEXT NOT NULL,
  record_json  TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  api_writes   INTEGER NOT NULL DEFAULT 0
);
-- Every content ever written through the API for a demand: a write of one of them again is a duplicate.
CREATE TABLE IF NOT EXISTS demande_contents (
  num_unique   TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  PRIMARY KEY (num_unique, content_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evenements (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  num_unique   TEXT NOT NULL,
  type         TEXT NOT NULL,
  occurred_at  TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  recorded_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acquittements (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  evenement_id TEXT NOT NULL REFERENCES evenements (id),
  status       TEXT NOT NULL,
  code         TEXT,
  message      TEXT,
  target       TEXT,
  at           TEXT NOT NULL,
  received_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS acquittements_by_evenement ON acquittements (evenement_id, seq);
CREATE TABLE IF NOT EXISTS counters (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

interface DemandeRow {
  num_unique: string;
  version: number;
  updated_at: string;
  record_json: string;
  content_hash: string;
}

interface EvenementRow {
  seq: number;
  id: string;
  num_unique: string;
  type: string;
  occurred_at: string;
  payload_json: string;
  recorded_at: string;
}

interface AckRow {
  seq: number;
  evenement_id: string;
  status: AckStatus;
  code: string | null;
  message: string | null;
  target: string | null;
  at: string;
  received_at: string;
}

/** The next `updatedAt`: now, but always later than the previous one so a change is always visible. */
function laterThan(previous: string | undefined, now: Date): string {
  if (previous === undefined) return now.toISOString();
  const prev = Date.parse(previous);
  return new Date(Math.max(now.getTime(), prev + 1)).toISOString();
}

function toEvenement(row: EvenementRow): Evenement {
  return {
    id: row.id,
    seq: row.seq,
    numUnique: row.num_unique,
    type: row.type,
    occurredAt: row.occurred_at,
    payload: JSON.parse(row.payload_json) as unknown,
    recordedAt: row.recorded_at,
  };
}

function toAck(row: AckRow): Acquittement {
  return {
    seq: row.seq,
    evenementId: row.evenement_id,
    status: row.status,
    ...(row.code === null ? {} : { code: row.code }),
    ...(row.message === null ? {} : { message: row.message }),
    ...(row.target === null ? {} : { target: row.target }),
    at: row.at,
    receivedAt: row.received_at,
  };
}

/** The simulator's database. One instance per simulator; `close()` is idempotent. */
export class LocalStore {
  readonly db: Database.Database;
  private readonly now: () => Date;
  private closed = false;
  private readonly stmt;
  private readonly putTx: (numUnique: string, record: unknown, ifMatch: IfMatch) => PutResult;
  private readonly putManyTx: (items: ReadonlyArray<{ numUnique: string; record: unknown; ifMatch: IfMatch }>) => PutResult[];

  constructor(options: LocalStoreOptions) {
    this.now = options.now ?? (() => new Date());
    this.db = new Database(options.dbPath);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across a process crash in WAL mode (only an OS crash may lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('cache_size = -65536');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmt = {
      getDemande: db.prepare<[string], DemandeRow>(
        'SELECT num_unique, version, updated_at, record_json, content_hash FROM demandes WHERE num_unique = ?',
      ),
      pageFirst: db.prepare<[number], DemandeRow>(
        'SELECT num_unique, version, updated_at, record_json FROM demandes ORDER BY num_unique LIMIT ?',
      ),
      pageAfter: db.prepare<[string, number], DemandeRow>(
        'SELECT num_unique, version, updated_at, record_json FROM demandes WHERE num_unique > ? ORDER BY num_unique LIMIT ?',
      ),
      insertDemande: db.prepare(
        `INSERT INTO demandes (num_unique, version, updated_at, record_json, content_hash, api_writes)
         VALUES (@numUnique, @version, @updatedAt, @json, @hash, @apiWrites)`,
      ),
      updateDemande: db.prepare(
        `UPDATE demandes SET version = @version, updated_at = @updatedAt, record_json = @json,
           content_hash = @hash, api_writes = api_writes + @apiWrites
         WHERE num_unique = @numUnique`,
      ),
      rememberContent: db.prepare('INSERT OR IGNORE INTO demande_contents (num_unique, content_hash) VALUES (?, ?)'),
      bump: db.prepare(
        'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1',
      ),
      counters: db.prepare<[], { name: string; value: number }>('SELECT name, value FROM counters'),
      countDemandes: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM demandes'),
      countEvents: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM evenements'),
      countAcks: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM acquittements'),
      apiWrites: db.prepare<[string], { api_writes: number }>('SELECT api_writes FROM demandes WHERE num_unique = ?'),
      insertEvent: db.prepare(
        `INSERT INTO evenements (id, num_unique, type, occurred_at, payload_json, recorded_at)
         VALUES (@id, @numUnique, @type, @occurredAt, @payloadJson, @recordedAt)
         ON CONFLICT (id) DO NOTHING`,
      ),
      getEvent: db.prepare<[string], EvenementRow>('SELECT * FROM evenements WHERE id = ?'),
      eventsAfter: db.prepare<[number, number], EvenementRow>(
        'SELECT * FROM evenements WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      insertAck: db.prepare(
        `INSERT INTO acquittements (evenement_id, status, code, message, target, at, received_at)
         VALUES (@evenementId, @status, @code, @message, @target, @at, @receivedAt)`,
      ),
      getAck: db.prepare<[number | bigint], AckRow>('SELECT * FROM acquittements WHERE seq = ?'),
      acksOf: db.prepare<[string], AckRow>('SELECT * FROM acquittements WHERE evenement_id = ? ORDER BY seq'),
    };
    this.putTx = db.transaction((numUnique: string, record: unknown, ifMatch: IfMatch) =>
      this.putInTransaction(numUnique, record, ifMatch),
    );
    this.putManyTx = db.transaction((items: ReadonlyArray<{ numUnique: string; record: unknown; ifMatch: IfMatch }>) =>
      items.map((i) => this.putInTransaction(i.numUnique, i.record, i.ifMatch)),
    );
  }

  /** Several writes in one transaction (the batch endpoint): each with its own outcome. */
  putDemandes(items: ReadonlyArray<{ numUnique: string; record: unknown; ifMatch: IfMatch }>): PutResult[] {
    return this.putManyTx(items);
  }

  /** One demand, or null. */
  getDemande(numUnique: string): StoredDemande | null {
    const row = this.stmt.getDemande.get(numUnique);
    if (row === undefined) return null;
    return {
      numUnique: row.num_unique,
      version: row.version,
      updatedAt: row.updated_at,
      record: JSON.parse(row.record_json) as unknown,
    };
  }

  /** Up to `limit` demands after `after` (exclusive) in numUnique order, and whether more follow. */
  listDemandes(after: string | null, limit: number): { rows: StoredDemandeRow[]; hasMore: boolean } {
    const raw = after === null ? this.stmt.pageFirst.all(limit + 1) : this.stmt.pageAfter.all(after, limit + 1);
    const hasMore = raw.length > limit;
    const rows = (hasMore ? raw.slice(0, limit) : raw).map((r) => ({
      numUnique: r.num_unique,
      version: r.version,
      updatedAt: r.updated_at,
      recordJson: r.record_json,
    }));
    return { rows, hasMore };
  }

  /**
   * Creates or updates a demand under the `If-Match` rules of the API:
   * - the stored record identical to `record` (as a JSON value): `unchanged`, nothing written, whatever
   *   `ifMatch` says (the wanted state is already there, so a resend after a lost answer is harmless);
   * - `ifMatch` absent: create only; `conflict` (`exists`) when the demand is there;
   * - `ifMatch` `*`: update whatever the version; a version: update only if it is the current one,
   *   else `conflict` (`version_mismatch`); both `not_found` when the demand is not there.
   */
  putDemande(numUnique: string, record: unknown, ifMatch: IfMatch): PutResult {
    return this.putTx(numUnique, record, ifMatch);
  }

  private putInTransaction(numUnique: string, record: unknown, ifMatch: IfMatch): PutResult {
    const json = canonicalJson(record);
    const hash = sha256Hex(json);
    const current = this.stmt.getDemande.get(numUnique);
    if (current !== undefined && current.content_hash === hash) {
      this.bump('noopWrites');
      return { outcome: 'unchanged', numUnique, version: current.version, updatedAt: current.updated_at };
    }
    if (current === undefined) {
      if (ifMatch !== undefined) return { outcome: 'not_found' };
    } else if (ifMatch === undefined || (ifMatch !== '*' && ifMatch !== current.version)) {
      this.bump('conflicts');
      return {
        outcome: 'conflict',
        reason: ifMatch === undefined ? ConflictReason.exists : ConflictReason.versionMismatch,
        currentVersion: current.version,
        updatedAt: current.updated_at,
      };
    }
    const version = current === undefined ? 1 : current.version + 1;
    const updatedAt = laterThan(current?.updated_at, this.now());
    const row = { numUnique, version, updatedAt, json, hash, apiWrites: 1 };
    if (current === undefined) this.stmt.insertDemande.run(row);
    else this.stmt.updateDemande.run(row);
    this.bump('writes');
    if (this.stmt.rememberContent.run(numUnique, hash).changes === 0) this.bump('duplicateContentWrites');
    return { outcome: current === undefined ? 'created' : 'updated', numUnique, version, updatedAt };
  }

  /**
   * A change made on the local side (not through the API): bumps the version and `updatedAt`, and
   * replaces the record when `transform` is given. Null when the demand is unknown.
   */
  touch(numUnique: string, transform?: (record: unknown) => unknown): StoredDemande | null {
    return this.db.transaction(() => {
      const current = this.stmt.getDemande.get(numUnique);
      if (current === undefined) return null;
      const record = transform ? transform(JSON.parse(current.record_json)) : JSON.parse(current.record_json);
      const json = canonicalJson(record);
      const version = current.version + 1;
      const updatedAt = laterThan(current.updated_at, this.now());
      this.stmt.updateDemande.run({ numUnique, version, updatedAt, json, hash: sha256Hex(json), apiWrites: 0 });
      this.bump('localChanges');
      return { numUnique, version, updatedAt, record: JSON.parse(json) as unknown };
    })();
  }

  /**
   * Loads demands in bulk as local data (version 1, not counted as API writes): for demos, benchmarks
   * and tests that need many demands. Existing numUniques are left alone. Returns how many were added.
   */
  seedDemandes(items: Iterable<{ numUnique: string; record: unknown }>): number {
    const updatedAt = this.now().toISOString();
    let added = 0;
    this.db.transaction(() => {
      for (const { numUnique, record } of items) {
        if (this.stmt.getDemande.get(numUnique) !== undefined) continue;
        const json = canonicalJson(record);
        this.stmt.insertDemande.run({ numUnique, version: 1, updatedAt, json, hash: sha256Hex(json), apiWrites: 0 });
        added += 1;
      }
    })();
    return added;
  }

  /** Records an event; idempotent on `id` (`created: false` returns the stored one unchanged). */
  addEvenement(ev: NewEvenement): { evenement: Evenement; created: boolean } {
    const id = ev.id ?? randomUUID();
    return this.db.transaction(() => {
      const info = this.stmt.insertEvent.run({
        id,
        numUnique: ev.numUnique,
        type: ev.type,
        occurredAt: ev.occurredAt,
        payloadJson: JSON.stringify(ev.payload ?? {}),
        recordedAt: this.now().toISOString(),
      });
      const row = this.stmt.getEvent.get(id) as EvenementRow;
      return { evenement: toEvenement(row), created: info.changes === 1 };
    })();
  }

  getEvenement(id: string): Evenement | null {
    const row = this.stmt.getEvent.get(id);
    return row === undefined ? null : toEvenement(row);
  }

  /** Events with `seq > after`, in seq order. */
  listEvenements(after: number, limit: number): Evenement[] {
    return this.stmt.eventsAfter.all(after, limit).map(toEvenement);
  }

  /** Appends an acknowledgement to an event; null when the event is unknown. */
  addAcquittement(evenementId: string, ack: NewAcquittement): Acquittement | null {
    return this.db.transaction(() => {
      if (this.stmt.getEvent.get(evenementId) === undefined) return null;
      const receivedAt = this.now().toISOString();
      const info = this.stmt.insertAck.run({
        evenementId,
        status: ack.status,
        code: ack.code ?? null,
        message: ack.message ?? null,
        target: ack.target ?? null,
        at: ack.at ?? receivedAt,
        receivedAt,
      });
      return toAck(this.stmt.getAck.get(info.lastInsertRowid) as AckRow);
    })();
  }

  /** The acknowledgements of an event in the order received; null when the event is unknown. */
  listAcquittements(evenementId: string): Acquittement[] | null {
    if (this.stmt.getEvent.get(evenementId) === undefined) return null;
    return this.stmt.acksOf.all(evenementId).map(toAck);
  }

  /** Counters since the last reset (kept in the database, so they survive a restart). */
  stats(numUniques: string[] = []): SimStats {
    const counters: Record<Counter, number> = {
      writes: 0,
      noopWrites: 0,
      conflicts: 0,
      duplicateContentWrites: 0,
      localChanges: 0,
    };
    for (const { name, value } of this.stmt.counters.all()) {
      if ((COUNTERS as readonly string[]).includes(name)) counters[name as Counter] = value;
    }
    const writesByNumUnique: Record<string, number> = {};
    for (const n of numUniques) writesByNumUnique[n] = this.stmt.apiWrites.get(n)?.api_writes ?? 0;
    return {
      demandes: this.stmt.countDemandes.get()?.n ?? 0,
      ...counters,
      events: this.stmt.countEvents.get()?.n ?? 0,
      acks: this.stmt.countAcks.get()?.n ?? 0,
      writesByNumUnique,
    };
  }

  /** Empties every table and counter. */
  reset(): void {
    this.db.exec(`
      DELETE FROM acquittements; DELETE FROM evenements; DELETE FROM demande_contents;
      DELETE FROM demandes; DELETE FROM counters;
      DELETE FROM sqlite_sequence WHERE name IN ('evenements', 'acquittements');
    `);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private bump(counter: Counter): void {
    this.stmt.bump.run(counter);
  }
}
