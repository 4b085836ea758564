/**
 * The ledger: per system and per demand, what the gateway last saw or wrote (content hash, version,
 * timestamps, state). One Redis hash per system, read and written a page at a time (one HMGET and one
 * HSET per page: perf-notes.md measured this ~4x faster than a key per demand).
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../queue/keys';

export const LedgerState = {
  /** The target holds this content. */
  synced: 'synced',
  /** The target changed on its side since our last write: not overwritten, reported. */
  conflict: 'conflict',
  /** Delivery failed permanently: see the dead letters. */
  failed: 'failed',
} as const;
export type LedgerState = (typeof LedgerState)[keyof typeof LedgerState];

export interface LedgerEntry {
  /** sha256 (hex) of the canonical record. */
  hash: string;
  /** sha256 (hex) of the record as the source sent it (XML fragment), for sources that have one. */
  rawHash?: string;
  /** The target's version after our write (local tool), when it has one. */
  version?: number;
  /** When the source produced this content (ISO), to refuse an older content arriving late. */
  sourceAt?: string;
  /** Which source delivered it (`sne`, `spta:35`, `dispatch`). */
  source?: string;
  /** The run that wrote it: a page replayed after a crash recognises its own deliveries. */
  runId?: string;
  /** Whether the pull wrote it from its page (`inline`) or a delivery job did (`job`): who counted it. */
  via?: 'inline' | 'job';
  /** When the gateway recorded it (ISO). */
  at: string;
  state: LedgerState;
  /** A write sent and not yet confirmed: after a crash, finding it at the target is not a conflict. */
  pendingHash?: string;
  /**
   * Earlier writes still unconfirmed when a newer content was sent (newest last, at most a few): the
   * target may hold any of them, and finding one there is not a conflict either.
   */
  earlierPending?: string[];
  /** A content that failed permanently (dead letter): not sent again until it changes or is replayed. */
  failedHash?: string;
}

export class Ledger {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  /** The Redis key of a system's ledger (to write it inside a caller's transaction). */
  keyOf(system: string): string {
    return this.keys.ledger(system);
  }

  async getMany(system: string, numUniques: readonly string[]): Promise<Array<LedgerEntry | undefined>> {
    if (numUniques.length === 0) return [];
    const raw = await this.redis.hmget(this.keys.ledger(system), ...numUniques);
    return raw.map((r) => (r === null ? undefined : (JSON.parse(r) as LedgerEntry)));
  }

  async get(system: string, numUnique: string): Promise<LedgerEntry | undefined> {
    const [entry] = await this.getMany(system, [numUnique]);
    return entry;
  }

  async setMany(system: string, entries: ReadonlyMap<string, LedgerEntry>): Promise<void> {
    if (entries.size === 0) return;
    const flat: string[] = [];
    for (const [nu, e] of entries) flat.push(nu, JSON.stringify(e));
    await this.redis.hset(this.keys.ledger(system), ...flat);
  }

  async set(system: string, numUnique: string, entry: LedgerEntry): Promise<void> {
    await this.setMany(system, new Map([[numUnique, entry]]));
  }

  async delete(system: string, numUnique: string): Promise<void> {
    await this.redis.hdel(this.keys.ledger(system), numUnique);
  }

  async size(system: string): Promise<number> {
    return this.redis.hlen(this.keys.ledger(system));
  }

  /** Every entry of a system, streamed by HSCAN pages (for the reconciliation). */
  async *entries(system: string, count = 1_000): AsyncGenerator<[string, LedgerEntry]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.ledger(system), cursor, 'COUNT', count);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        yield [flat[i]!, JSON.parse(flat[i + 1]!) as LedgerEntry];
      }
    } while (cursor !== '0');
  }
}
