import {
  applyJsonPatch,
  bearerTokenOf,
  canonicalJson,
  compilePathPattern,
  constantTimeEquals,
  FaultInjector,
  JsonPatchError,
  seededRng,
  sha256Hex,
} from '../../../src/simulators/common';

describe('seededRng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const c = seededRng(43);
    const seqA = Array.from({ length: 20 }, () => a());
    const seqB = Array.from({ length: 20 }, () => b());
    const seqC = Array.from({ length: 20 }, () => c());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of seqA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe('canonicalJson', () => {
  it('ignores the order of object keys at every depth but keeps the order of arrays', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(sha256Hex(canonicalJson({ x: 'é', y: 1 }))).toBe(sha256Hex(canonicalJson({ y: 1, x: 'é' })));
  });

  it('drops undefined properties like JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});

describe('applyJsonPatch', () => {
  const doc = { numUnique: 'N1', adresse: { ville: 'Rennes' }, enfants: [1, 2] };

  it('adds, replaces and removes members and array items on a copy', () => {
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/adresse/ville', value: 'Brest' },
      { op: 'add', path: '/enfants/-', value: 3 },
      { op: 'remove', path: '/enfants/0' },
      { op: 'add', path: '/a~1b', value: true },
    ]);
    expect(out).toEqual({ numUnique: 'N1', adresse: { ville: 'Brest' }, enfants: [2, 3], 'a/b': true });
    expect(doc.adresse.ville).toBe('Rennes');
  });

  it('names the failing operation and rule, not the value, when a path does not exist', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/nope/x', value: 'secret' }])).toThrow(JsonPatchError);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }])).toThrow('patch operation 0: path does not exist');
  });

  it('refuses to touch an object prototype', () => {
    expect(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).toThrow(JsonPatchError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('bearer token helpers', () => {
  it('reads the token of a Bearer header only', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer   abc')).toBe('abc');
    expect(bearerTokenOf('Basic abc')).toBeNull();
    expect(bearerTokenOf(undefined)).toBeNull();
  });

  it('compares tokens of any lengths', () => {
    expect(constantTimeEquals('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEquals('s3cret', 's3cre')).toBe(false);
    expect(constantTimeEquals('', 's3cret')).toBe(false);
  });
});

describe('compilePathPattern', () => {
  it('matches one segment per :param and any rest for *', () => {
    const one = compilePathPattern('/demandes/:numUnique');
    expect(one.test('/demandes/N1')).toBe(true);
    expect(one.test('/demandes')).toBe(false);
    expect(one.test('/demandes/N1/x')).toBe(false);
    const rest = compilePathPattern('/evenements/*');
    expect(rest.test('/evenements/e1/acquittements')).toBe(true);
    expect(compilePathPattern('/a.b').test('/aXb')).toBe(false);
  });
});

describe('FaultInjector', () => {
  it('refuses a fault spec it does not understand', () => {
    const faults = new FaultInjector();
    expect(() => faults.add({ kind: 'error', status: 404 } as never)).toThrow();
    expect(() => faults.add({ kind: 'explode' } as never)).toThrow();
    expect(() => faults.add({ kind: 'error', rate: 2 } as never)).toThrow();
    expect(faults.list()).toEqual([]);
  });

  it('lists the faults it holds with an id and a count of requests acted on, and clears them', () => {
    const faults = new FaultInjector({ seed: 7 });
    const added = faults.add({ kind: 'rateLimit', retryAfterSeconds: 3, method: 'PUT', count: 2 });
    expect(added).toEqual({ kind: 'rateLimit', retryAfterSeconds: 3, method: 'PUT', count: 2, id: 1, fired: 0 });
    expect(faults.list()).toHaveLength(1);
    faults.clear();
    expect(faults.list()).toEqual([]);
  });
});
