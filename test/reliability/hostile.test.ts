/**
 * Hostile input to the parsers (the small cases of bench/chaos/hostile.ts; the suite runs the large
 * ones too, with memory watched): each is refused with a stable code and issues naming a path and a
 * rule, or read with its bad demands quarantined; never another exception, never a message quoting the
 * input. A case marked `knownDefect` documents a defect not fixed yet: `it.failing` turns red once it is
 * fixed, and then the mark comes off.
 */
import { hostileCases } from '../../bench/chaos/hostile';

const cases = hostileCases({ large: false });

describe('hostile input to the codec, the MTOM parser and the configuration', () => {
  it('has cases for every parser', () => {
    expect(new Set(cases.map((c) => c.target))).toEqual(new Set(['codec', 'codec-stream', 'sne-request', 'sne-response', 'config']));
    expect(cases.length).toBeGreaterThan(70);
  });

  for (const c of cases.filter((x) => !x.knownDefect)) {
    it(`refuses clearly or quarantines (${c.target}): ${c.name}`, async () => {
      const v = await c.run();
      expect({ ok: v.ok, outcome: v.outcome, detail: v.detail }).toMatchObject({ ok: true });
    });
  }

  for (const c of cases.filter((x) => x.knownDefect)) {
    it.failing(`KNOWN DEFECT (${c.target}) ${c.name}: ${c.knownDefect ?? ''}`, async () => {
      expect((await c.run()).ok).toBe(true);
    });
  }
});
