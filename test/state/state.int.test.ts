import { Circuit } from '../../src/queue/circuit';
import { PayloadCipher } from '../../src/queue/crypto';
import { DeadLetterStore } from '../../src/state/dead-letters';
import { Ledger, LedgerState } from '../../src/state/ledger';
import { QuarantineStore } from '../../src/state/quarantine';
import { RunStore } from '../../src/state/runs';
import { CursorStore } from '../../src/state/cursors';
import { useTestRedis } from '../support/redis';

const t = useTestRedis('state');

describe('the ledger', () => {
  it('reads and writes a page of entries in one call each, and streams them all back', async () => {
    const ledger = new Ledger(t.redis, t.keys);
    const entries = new Map(
      Array.from({ length: 1500 }, (_, i) => [`NU${i}`, { hash: `h${i}`, at: '2026-01-01T00:00:00Z', state: LedgerState.synced }] as const),
    );
    await ledger.setMany('local', entries);
    const got = await ledger.getMany('local', ['NU1', 'NU-missing', 'NU1499']);
    expect(got.map((e) => e?.hash)).toEqual(['h1', undefined, 'h1499']);
    let n = 0;
    for await (const _ of ledger.entries('local')) n++;
    expect(n).toBe(1500);
  });
});

describe('the run accounting', () => {
  it('finishes a run exactly once, when the intake is done and every change has settled', async () => {
    const runs = new RunStore(t.redis, t.keys);
    await runs.start({ id: 'r1', kind: 'pull', source: 'dispatch', trigger: 'manual' });
    await runs.addIntake(t.redis.multi(), 'r1', { fetched: 3, valid: 3, changed: 2, unchanged: 1 }).exec();
    expect(await runs.settle('r1', 'job-a', 'delivered')).toBe(false);
    // A retried job settles once.
    expect(await runs.settle('r1', 'job-a', 'delivered')).toBe(false);
    expect(await runs.settle('r1', 'job-b', 'conflicts')).toBe(false);
    expect(await runs.intakeDone('r1')).toBe(true);
    expect(await runs.intakeDone('r1')).toBe(false);
    const run = await runs.get('r1');
    expect(run).toMatchObject({ status: 'finished', intakeDone: true });
    expect(run?.counts).toMatchObject({ fetched: 3, valid: 3, changed: 2, unchanged: 1, delivered: 1, conflicts: 1, failed: 0 });
  });

  it('notes a failed attempt without ending the run, and fails only a running run (a finished one stays finished, an unknown one is not created)', async () => {
    const runs = new RunStore(t.redis, t.keys);
    await runs.start({ id: 'r2', kind: 'pull', source: 'sne:radiees', trigger: 'manual' });
    await runs.noteFailedAttempt('r2', 'transient SNE_UNAVAILABLE: unavailable');
    expect(await runs.get('r2')).toMatchObject({ status: 'running', failedAttempts: 1, lastError: 'transient SNE_UNAVAILABLE: unavailable' });
    expect(await runs.intakeDone('r2')).toBe(true);
    expect(await runs.fail('r2', 'permanent INTERNAL: too late')).toBe(false);
    expect(await runs.get('r2')).toMatchObject({ status: 'finished', failedAttempts: 1 });
    expect(await runs.fail('r-unknown', 'permanent INTERNAL: no such run')).toBe(false);
    expect(await runs.get('r-unknown')).toBeUndefined();
    await runs.start({ id: 'r3', kind: 'pull', source: 'sne:radiees', trigger: 'manual' });
    expect(await runs.fail('r3', 'transient SNE_UNAVAILABLE: unavailable')).toBe(true);
    expect(await runs.get('r3')).toMatchObject({ status: 'failed', error: 'transient SNE_UNAVAILABLE: unavailable' });
  });

  it('takes back, for a resumed attempt, the counts of the pages committed since the last cursor move, and gives the run\'s own cursor', async () => {
    const runs = new RunStore(t.redis, t.keys);
    await runs.start({ id: 'r4', kind: 'pull', source: 'dispatch', trigger: 'manual' });
    await runs.addIntake(t.redis.multi(), 'r4', { fetched: 5, valid: 5, changed: 5, delivered: 2 }, { cursor: 'c1' }).exec();
    await runs.addIntake(t.redis.multi(), 'r4', { fetched: 5, valid: 4, quarantined: 1, changed: 4 }, {}).exec();
    expect((await runs.get('r4'))?.counts).toMatchObject({ fetched: 10, valid: 9, changed: 9, delivered: 2 });
    expect(await runs.resume('r4')).toEqual({ cursor: 'c1' });
    expect((await runs.get('r4'))?.counts).toMatchObject({ fetched: 5, valid: 5, quarantined: 0, changed: 5, delivered: 2 });
    // Taken back once: a second resume finds nothing more to take back.
    await runs.resume('r4');
    expect((await runs.get('r4'))?.counts).toMatchObject({ fetched: 5, changed: 5 });
  });

  it('keeps the last N runs only, newest first', async () => {
    const runs = new RunStore(t.redis, { ...t.keys, runs: `${t.prefix}:runs-keep`, run: (id: string) => `${t.prefix}:run-keep:${id}` }, { keep: 3 });
    for (let i = 0; i < 5; i++) await runs.start({ id: `k${i}`, kind: 'pull', source: 's', trigger: 'manual' });
    expect((await runs.list()).map((r) => r.id)).toEqual(['k4', 'k3', 'k2']);
    expect(await runs.get('k0')).toBeUndefined();
  });
});

describe('the cursors', () => {
  it('stores one cursor per source and lists them', async () => {
    const cursors = new CursorStore(t.redis, t.keys);
    await cursors.set('sne:radiees', '2026-11-01T00:00:00.000Z');
    expect(await cursors.get('sne:radiees')).toBe('2026-11-01T00:00:00.000Z');
    expect((await cursors.list()).map((c) => c.source)).toContain('sne:radiees');
  });
});

describe('the quarantine', () => {
  it('keeps the reason and a sealed copy of the input, and lists newest first', async () => {
    const q = new QuarantineStore(t.redis, t.keys);
    const cipher = new PayloadCipher([{ id: 'k1', secret: PayloadCipher.generateSecret() }], 'k1');
    await q.addMany([{ source: 'dispatch', index: 4, issues: [{ path: 'demandeur.dateNaissance', rule: 'rule', message: 'must be a real date' }], sealedInput: cipher.seal('<demande/>') }]);
    const [e] = await q.list({ source: 'dispatch' });
    expect(e).toMatchObject({ source: 'dispatch', index: 4 });
    expect(cipher.open(e!.sealedInput!)).toBe('<demande/>');
  });

  it('keeps one entry for a record of a run read twice (an attempt resumed after a crash)', async () => {
    const q = new QuarantineStore(t.redis, t.keys);
    const entry = { source: 'dispatch-twice', runId: 'run-q', file: 'f.xml', index: 7, issues: [{ path: 'numUnique', rule: 'required', message: 'missing' }] };
    const [first] = await q.addMany([entry]);
    const [again] = await q.addMany([entry, { ...entry, index: 8 }]);
    expect(again).toBe(first);
    expect((await q.list({ source: 'dispatch-twice' })).map((e) => e.index).sort()).toEqual([7, 8]);
  });
});

describe('the dead letters', () => {
  it('are searchable by code, system and demand, and replay/discard are audited', async () => {
    const dl = new DeadLetterStore(t.redis, t.keys);
    const base = { queue: 'push', origin: 'event e1', errorClass: 'permanent' as const, message: 'm', attempts: 1, job: { name: 'push', data: {} } };
    const a = await dl.add({ ...base, system: 'sne', numUnique: 'NU1', code: 'SNE_ANOMALY' });
    await dl.add({ ...base, system: 'local', numUnique: 'NU2', code: 'LOCAL_REJECTED' });
    expect((await dl.search({ code: 'SNE_ANOMALY' })).map((d) => d.id)).toEqual([a.id]);
    expect((await dl.search({ system: 'local' })).map((d) => d.numUnique)).toEqual(['NU2']);
    expect(await dl.countOpen()).toBe(2);
    await dl.close(a.id, 'replayed', 'operator:alice');
    expect(await dl.countOpen()).toBe(1);
    expect(await dl.audit()).toEqual([expect.objectContaining({ who: 'operator:alice', action: 'replay', deadLetterId: a.id })]);
  });
});

describe('the circuit', () => {
  it('opens after repeated failures, lets one probe through after the pause, and closes on success, reporting each change once', async () => {
    let now = 1_000_000;
    const changes: string[] = [];
    const c = new Circuit(t.redis, t.keys, { failureThreshold: 3, openMs: 10_000, now: () => now, onChange: (_t, f, to) => changes.push(`${f}>${to}`) });
    await c.failure('sne');
    await c.failure('sne');
    await c.check('sne');
    await c.failure('sne');
    await expect(c.check('sne')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN', errorClass: 'transient' });
    now += 10_001;
    await c.check('sne'); // the probe
    await expect(c.check('sne')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' }); // only one probe at a time
    await c.success('sne');
    await c.check('sne');
    expect(changes).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
  });
});

describe('the payload cipher', () => {
  it('opens what an older key sealed after rotation, and refuses a tampered payload', () => {
    const k1 = { id: 'k1', secret: PayloadCipher.generateSecret() };
    const k2 = { id: 'k2', secret: PayloadCipher.generateSecret() };
    const old = new PayloadCipher([k1], 'k1').seal({ nom: 'Lefèvre' });
    const rotated = new PayloadCipher([k1, k2], 'k2');
    expect(rotated.open(old)).toEqual({ nom: 'Lefèvre' });
    expect(PayloadCipher.keyIdOf(rotated.seal({}))).toBe('k2');
    expect(old).not.toContain('Lef');
    const tampered = old.slice(0, -3) + (old.endsWith('A') ? 'BBB' : 'AAA');
    expect(() => rotated.open(tampered)).toThrow(expect.objectContaining({ code: 'PAYLOAD_UNREADABLE' }));
  });
});
