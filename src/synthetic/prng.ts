/**
 * Seeded pseudo-random numbers for the synthetic generator: a 32-bit seed hash, a per-index derivation
 * (so demand i can be regenerated alone) and the sfc32 generator. No `Math.random` anywhere: a data set
 * is a pure function of (seed, index, options).
 */

/** A seed as given by a caller: an integer, or any string (hashed). */
export type Seed = number | string;

/** lowbias32 (Wellons): a cheap 32-bit mixer with good avalanche, used to spread seeds and indexes. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/**
 * The 32-bit hash of a seed. Integers that fit 32 bits and their decimal string give the same hash, so
 * `--seed 42` on the command line and `seed: 42` in code produce the same data.
 */
export function seedHash(seed: Seed): number {
  if (typeof seed === 'number') {
    if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return mix32(seed ^ 0x5bd1e995);
    return hashString(String(seed));
  }
  if (/^\d{1,10}$/.test(seed) && Number(seed) <= 0xffffffff) return seedHash(Number(seed));
  return hashString(seed);
}

/** A small generator with the helpers the synthetic data needs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Warm up: the first outputs of sfc32 still carry the seed's structure.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The generator of demand `index` under `seed`: independent of every other index. */
  static forIndex(seed: Seed, index: number, stream = 0): Rng {
    const h = seedHash(seed);
    const lo = index >>> 0;
    const hi = Math.floor(index / 0x100000000) >>> 0;
    const a = mix32(h ^ mix32(lo + 0x9e3779b9));
    const b = mix32(a ^ mix32(hi + 0x7f4a7c15) ^ stream);
    const c = mix32(b + 0x632be5ab);
    const d = mix32(c ^ 0x85ebca6b ^ lo);
    return new Rng(a, b, c, d);
  }

  /** sfc32 (Chris Doty-Humphrey's small fast counting generator). */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.u32() / 0x100000000;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** A value drawn from `[value, weight]` pairs (weights need not sum to 1; zero weights never drawn). */
  weighted<T>(table: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of table) total += w;
    if (!(total > 0)) throw new RangeError('weighted draw with no positive weight');
    let r = this.next() * total;
    for (const [value, w] of table) {
      if (w <= 0) continue;
      if (r < w) return value;
      r -= w;
    }
    // Floating-point remainder: the last positive entry.
    for (let i = table.length - 1; i >= 0; i--) if (table[i]![1] > 0) return table[i]![0];
    throw new RangeError('unreachable');
  }

  /** `k` distinct items, in draw order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const pool = items.slice();
    const out: T[] = [];
    for (let i = 0; i < k && pool.length > 0; i++) {
      const j = Math.floor(this.next() * pool.length);
      out.push(pool[j] as T);
      pool.splice(j, 1);
    }
    return out;
  }

  /** `k` distinct items drawn by weight, in draw order. */
  sampleWeighted<T>(table: ReadonlyArray<readonly [T, number]>, k: number): T[] {
    const pool = table.filter(([, w]) => w > 0).map(([v, w]) => [v, w] as const);
    const out: T[] = [];
    while (out.length < k && pool.length > 0) {
      const v = this.weighted(pool);
      out.push(v);
      pool.splice(
        pool.findIndex(([p]) => p === v),
        1,
      );
    }
    return out;
  }
}
