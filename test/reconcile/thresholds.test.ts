import { ValidationError } from '../../src/errors';
import { DEFAULT_FAIL_ON, emptyCounts, exceededThresholds, parseFailOn } from '../../src/reconcile';

/** The ValidationError a call throws. */
function validationErrorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('--fail-on', () => {
  it('fails on the counts above their maximum', () => {
    const counts = { ...emptyCounts(), divergent: 1, 'missing-local': 10, 'renewal-due': 400 };
    expect(exceededThresholds(counts, parseFailOn('divergent=0,missing-local=10'))).toEqual([{ kind: 'divergent', count: 1, max: 0 }]);
    expect(exceededThresholds(counts, parseFailOn('divergent'))).toEqual([{ kind: 'divergent', count: 1, max: 0 }]);
    expect(exceededThresholds(counts, parseFailOn('none'))).toEqual([]);
  });

  it('takes groups, and lets later terms win', () => {
    const t = parseFailOn('all=0,renewal-due=500');
    expect(t.limits.get('renewal-due')).toBe(500);
    expect(t.limits.get('retention-exceeded')).toBe(0);
    expect(parseFailOn('checks=5').limits.has('divergent')).toBe(false);
    expect(parseFailOn('categories').limits.get('conflict')).toBe(0);
  });

  it('by default fails on any difference or stuck record, not on pushes in flight nor on the day’s checks', () => {
    const t = parseFailOn(DEFAULT_FAIL_ON);
    expect([...t.limits.keys()].sort()).toEqual(['changed-locally', 'conflict', 'dead-letter', 'divergent', 'missing-local', 'missing-source', 'quarantined']);
  });

  it('lists every mistake with its place', () => {
    const e = validationErrorOf(() => parseFailOn('divergent=lots,unknown=1,missing-local=2'));
    expect(e.issues.map((i) => [i.path, i.rule])).toEqual([
      ['--fail-on[0]', 'syntax'],
      ['--fail-on[1]', 'known-name'],
    ]);
  });
});
