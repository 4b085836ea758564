/**
 * The codec's properties under fast-check (bench/chaos/fuzz.ts), at a fifth of the suite's case count:
 * round trip, mutated documents, arbitrary bytes and text, any Unicode name, streaming in any chunks.
 */
import { runCodecProperties } from '../../bench/chaos/fuzz';

describe('the codec under generated input', () => {
  it('holds every property over more than a thousand generated cases', async () => {
    const results = await runCodecProperties({ scale: 0.2, seed: 20_261_127 });
    for (const r of results) expect({ name: r.name, ok: r.ok, error: r.error, replay: r.replay }).toMatchObject({ ok: true });
    expect(results.reduce((n, r) => n + r.runs, 0)).toBeGreaterThan(1_000);
  });
});
