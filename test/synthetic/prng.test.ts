/** The seeded generator underneath the synthetic data: reproducible, independent per index, well spread. */
import { mix32, Rng, seedHash } from '../../src/synthetic/prng';

describe('seeded random numbers', () => {
  it('replays the same sequence for the same seed and index', () => {
    const a = Rng.forIndex(42, 7);
    const b = Rng.forIndex(42, 7);
    const xs = Array.from({ length: 100 }, () => a.u32());
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs);
  });

  it('gives unrelated sequences to neighbouring indexes and seeds', () => {
    const first = (seed: number | string, index: number) => Rng.forIndex(seed, index).u32();
    const values = new Set<number>();
    for (let i = 0; i < 1000; i++) values.add(first(42, i));
    for (let s = 0; s < 1000; s++) values.add(first(s, 0));
    expect(values.size).toBeGreaterThan(1995);
    expect(first(42, 2 ** 32)).not.toBe(first(42, 0));
  });

  it('hashes an integer seed and its decimal string alike, and other strings apart', () => {
    expect(seedHash(42)).toBe(seedHash('42'));
    expect(seedHash('42a')).not.toBe(seedHash('42'));
    expect(seedHash(1.5)).toBe(seedHash('1.5'));
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).not.toBe(1);
  });

  it('spreads floats evenly over [0, 1)', () => {
    const rng = Rng.forIndex('spread', 0);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(600);
  });

  it('draws integers within bounds, weighted values by weight, and distinct samples', () => {
    const rng = Rng.forIndex(3, 3);
    const ints = new Set<number>();
    for (let i = 0; i < 2000; i++) ints.add(rng.int(-2, 2));
    expect([...ints].sort()).toEqual([-1, -2, 0, 1, 2]);
    let a = 0;
    for (let i = 0; i < 10_000; i++) if (rng.weighted([['a', 3], ['b', 1], ['never', 0]] as const) === 'a') a++;
    expect(a / 10_000).toBeGreaterThan(0.72);
    expect(a / 10_000).toBeLessThan(0.78);
    const sample = rng.sampleWeighted([['x', 1], ['y', 1], ['z', 1]] as const, 5);
    expect([...sample].sort()).toEqual(['x', 'y', 'z']);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(() => rng.weighted([['a', 0]] as const)).toThrow(RangeError);
  });
});
