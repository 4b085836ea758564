/**
 * Per-demand state of a reconciliation, compact enough for 300,000 demands in well under 100 MB: one map
 * numéro unique -> slot, and per slot a few flags, two versions and five digests in flat buffers (no
 * object per demand). Digests are compared in place, never turned into strings on the fast path.
 *
 * A digest is kept as the first 128 bits of its sha256 (32 hex characters when shown): enough to tell
 * contents apart (a collision among a territory's demands is out of reach), half the memory.
 */

/** The digests kept per demand. */
export const H = {
  /** What the gateway last pulled from the source (source ledger `hash`). */
  sourceLedger: 0,
  /** sha256 of that content's XML fragment (source ledger `rawHash`). */
  sourceLedgerRaw: 1,
  /** The source's content now (canonical hash): from the stock, or the ledger without a stock. */
  source: 2,
  /** The local tool's content now (canonical hash, or a hash of its raw JSON when not canonical). */
  local: 3,
  /** What the gateway last wrote to the local tool (local ledger `hash`). */
  localLedger: 4,
} as const;
export type H = (typeof H)[keyof typeof H];
const DIGESTS = 5;
/** Bytes kept per digest. */
export const DIGEST_BYTES = 16;
const SIZE = DIGEST_BYTES;

/** Flags per demand. */
export const F = {
  inSourceLedger: 1 << 0,
  sourceLedgerRaw: 1 << 1,
  inLocalLedger: 1 << 2,
  /** The local ledger entry has a content hash (an entry may hold only a failed or pending write). */
  localLedgerHash: 1 << 3,
  localLedgerVersion: 1 << 4,
  /** Present at the source (in the stock, or in the source ledger without a stock). */
  atSource: 1 << 5,
  /** The source's demand could not be read as a valid demand. */
  sourceInvalid: 1 << 6,
  inLocal: 1 << 7,
  /** The local record is not a canonical demand (its hash is of its raw JSON). */
  localNonCanonical: 1 << 8,
  localRadiatedAtt: 1 << 9,
  localRadiatedOther: 1 << 10,
  /** The local ledger records a failed content (dead letter) equal to the source's. */
  failedIsSource: 1 << 11,
  localLedgerFailedHash: 1 << 12,
} as const;

export class DemandTable {
  private readonly slots = new Map<string, number>();
  private keys: string[] = [];
  private capacity: number;
  flags: Uint16Array;
  localVersion: Int32Array;
  ledgerVersion: Int32Array;
  private digests: Buffer;
  /** Failed hashes of the local ledger (hex), for the few demands that have one. */
  readonly failedHash = new Map<number, string>();

  constructor(initialCapacity = 4096) {
    this.capacity = Math.max(16, initialCapacity);
    this.flags = new Uint16Array(this.capacity);
    this.localVersion = new Int32Array(this.capacity);
    this.ledgerVersion = new Int32Array(this.capacity);
    this.digests = Buffer.alloc(this.capacity * DIGESTS * SIZE);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The slot of a demand, created when absent. */
  slot(numUnique: string): number {
    let s = this.slots.get(numUnique);
    if (s === undefined) {
      s = this.keys.length;
      if (s === this.capacity) this.grow();
      this.keys.push(numUnique);
      this.slots.set(numUnique, s);
    }
    return s;
  }

  /** The slot of a demand, or undefined when never seen. */
  find(numUnique: string): number | undefined {
    return this.slots.get(numUnique);
  }

  numUnique(slot: number): string {
    return this.keys[slot]!;
  }

  has(slot: number, flag: number): boolean {
    return (this.flags[slot]! & flag) !== 0;
  }

  set(slot: number, flag: number): void {
    this.flags[slot] = this.flags[slot]! | flag;
  }

  clear(slot: number, flag: number): void {
    this.flags[slot] = this.flags[slot]! & ~flag;
  }

  /** Stores a digest given as a buffer or hex characters (its first `DIGEST_BYTES` bytes). */
  setDigest(slot: number, which: H, digest: Buffer | string): void {
    const at = (slot * DIGESTS + which) * SIZE;
    if (typeof digest === 'string') this.digests.write(digest.slice(0, SIZE * 2), at, SIZE, 'hex');
    else digest.copy(this.digests, at, 0, SIZE);
  }

  copyDigest(slot: number, from: H, to: H): void {
    const base = slot * DIGESTS * SIZE;
    this.digests.copy(this.digests, base + to * SIZE, base + from * SIZE, base + (from + 1) * SIZE);
  }

  digestEquals(slot: number, a: H, b: H): boolean {
    const base = slot * DIGESTS * SIZE;
    return this.digests.compare(this.digests, base + a * SIZE, base + (a + 1) * SIZE, base + b * SIZE, base + (b + 1) * SIZE) === 0;
  }

  /** Compares a stored digest with a given one (its first `DIGEST_BYTES` bytes). */
  digestIs(slot: number, which: H, digest: Buffer | string): boolean {
    const other = typeof digest === 'string' ? Buffer.from(digest.slice(0, SIZE * 2), 'hex') : digest;
    const at = (slot * DIGESTS + which) * SIZE;
    return other.length >= SIZE && this.digests.compare(other, 0, SIZE, at, at + SIZE) === 0;
  }

  digestHex(slot: number, which: H): string {
    const at = (slot * DIGESTS + which) * SIZE;
    return this.digests.toString('hex', at, at + SIZE);
  }

  private grow(): void {
    const next = this.capacity * 2;
    const flags = new Uint16Array(next);
    flags.set(this.flags);
    const lv = new Int32Array(next);
    lv.set(this.localVersion);
    const gv = new Int32Array(next);
    gv.set(this.ledgerVersion);
    const digests = Buffer.alloc(next * DIGESTS * SIZE);
    this.digests.copy(digests);
    this.flags = flags;
    this.localVersion = lv;
    this.ledgerVersion = gv;
    this.digests = digests;
    this.capacity = next;
  }
}
