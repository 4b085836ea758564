import path from 'node:path';
import { LocalStore } from '../../../src/simulators/local';
import { tempDir } from '../support/http';

const rec = (numUnique: string, extra: Record<string, unknown> = {}) => ({ numUnique, ...extra });

describe('LocalStore', () => {
  let store: LocalStore;
  let clock: number;

  beforeEach(() => {
    clock = Date.parse('2025-01-01T00:00:00Z');
    store = new LocalStore({ dbPath: ':memory:', now: () => new Date(clock) });
  });
  afterEach(() => store.close());

  describe('putDemande', () => {
    it('creates a demand at version 1 when If-Match is absent', () => {
      expect(store.putDemande('N1', rec('N1'), undefined)).toMatchObject({ outcome: 'created', version: 1 });
      expect(store.getDemande('N1')).toEqual({
        numUnique: 'N1',
        version: 1,
        updatedAt: '2025-01-01T00:00:00.000Z',
        record: { numUnique: 'N1' },
      });
    });

    it('refuses a create over an existing demand with its current version', () => {
      store.putDemande('N1', rec('N1', { a: 1 }), undefined);
      expect(store.putDemande('N1', rec('N1', { a: 2 }), undefined)).toEqual({
        outcome: 'conflict',
        reason: 'exists',
        currentVersion: 1,
        updatedAt: '2025-01-01T00:00:00.000Z',
      });
      expect(store.stats().conflicts).toBe(1);
    });

    it('updates only from the current version and bumps version and updatedAt', () => {
      store.putDemande('N1', rec('N1', { a: 1 }), undefined);
      const updated = store.putDemande('N1', rec('N1', { a: 2 }), 1);
      expect(updated).toMatchObject({ outcome: 'updated', version: 2 });
      expect(updated).toHaveProperty('updatedAt', '2025-01-01T00:00:00.001Z');
      expect(store.putDemande('N1', rec('N1', { a: 3 }), 1)).toMatchObject({
        outcome: 'conflict',
        reason: 'version_mismatch',
        currentVersion: 2,
      });
      expect(store.putDemande('N1', rec('N1', { a: 3 }), '*')).toMatchObject({ outcome: 'updated', version: 3 });
    });

    it('answers not_found to an update of an unknown demand', () => {
      expect(store.putDemande('N9', rec('N9'), 1)).toEqual({ outcome: 'not_found' });
      expect(store.putDemande('N9', rec('N9'), '*')).toEqual({ outcome: 'not_found' });
      expect(store.stats().demandes).toBe(0);
    });

    it('treats an identical record (keys in any order) as a no-op whatever If-Match says', () => {
      store.putDemande('N1', { numUnique: 'N1', a: 1, b: { c: 2 } }, undefined);
      for (const ifMatch of [undefined, 1, 7, '*'] as const) {
        expect(store.putDemande('N1', { b: { c: 2 }, a: 1, numUnique: 'N1' }, ifMatch)).toMatchObject({
          outcome: 'unchanged',
          version: 1,
        });
      }
      expect(store.stats()).toMatchObject({ writes: 1, noopWrites: 4, conflicts: 0, duplicateContentWrites: 0 });
    });

    it('counts a write of a content already written for that demand as a duplicate effect', () => {
      store.putDemande('N1', rec('N1', { v: 'A' }), undefined);
      store.putDemande('N1', rec('N1', { v: 'B' }), 1);
      store.putDemande('N2', rec('N2', { v: 'A' }), undefined);
      expect(store.stats().duplicateContentWrites).toBe(0);
      store.putDemande('N1', rec('N1', { v: 'A' }), 2);
      expect(store.stats(['N1', 'N2', 'N3'])).toMatchObject({
        writes: 4,
        duplicateContentWrites: 1,
        writesByNumUnique: { N1: 3, N2: 1, N3: 0 },
      });
    });
  });

  describe('touch', () => {
    it('bumps the version and applies a change, so that a PUT from the old version conflicts', () => {
      store.putDemande('N1', rec('N1', { v: 1 }), undefined);
      const touched = store.touch('N1', (r) => ({ ...(r as object), v: 9 }));
      expect(touched).toMatchObject({ version: 2, record: { numUnique: 'N1', v: 9 } });
      expect(store.putDemande('N1', rec('N1', { v: 2 }), 1)).toMatchObject({ outcome: 'conflict', currentVersion: 2 });
      expect(store.stats()).toMatchObject({ writes: 1, localChanges: 1 });
    });

    it('gives a later updatedAt even when the clock has not moved', () => {
      store.putDemande('N1', rec('N1'), undefined);
      const before = store.getDemande('N1')!.updatedAt;
      const after = store.touch('N1')!.updatedAt;
      expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    });

    it('answers null for an unknown demand', () => {
      expect(store.touch('N0')).toBeNull();
    });
  });

  describe('listDemandes', () => {
    it('pages by numUnique with a keyset, without skipping or repeating', () => {
      const ids = Array.from({ length: 250 }, (_, i) => `N${String(i).padStart(5, '0')}`).reverse();
      expect(store.seedDemandes(ids.map((n) => ({ numUnique: n, record: rec(n) })))).toBe(250);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page = store.listDemandes(after, 100);
        pages += 1;
        seen.push(...page.rows.map((r) => r.numUnique));
        if (!page.hasMore) break;
        after = page.rows[page.rows.length - 1]!.numUnique;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].sort());
    });

    it('reads pages in primary-key order and demands by key, never sorting or loading the whole table', () => {
      const plan = (sql: string, ...args: unknown[]) =>
        (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>)
          .map((r) => r.detail)
          .join(' | ');
      const cols = 'num_unique, version, updated_at, record_json';
      const page = plan(`SELECT ${cols} FROM demandes WHERE num_unique > ? ORDER BY num_unique LIMIT ?`, 'N', 10);
      expect(page).toMatch(/^SEARCH demandes USING (COVERING )?INDEX sqlite_autoindex_demandes_1 \(num_unique>\?\)$/);
      const first = plan(`SELECT ${cols} FROM demandes ORDER BY num_unique LIMIT ?`, 10);
      expect(first).toMatch(/^SCAN demandes USING (COVERING )?INDEX sqlite_autoindex_demandes_1$/);
      expect(plan('SELECT * FROM demandes WHERE num_unique = ?', 'N1')).toMatch(/USING INDEX/);
      expect(plan('SELECT * FROM evenements WHERE seq > ? ORDER BY seq LIMIT ?', 0, 10)).toMatch(/USING INTEGER PRIMARY KEY/);
      expect(plan('SELECT * FROM acquittements WHERE evenement_id = ? ORDER BY seq', 'e')).toMatch(
        /USING INDEX acquittements_by_evenement/,
      );
    });

    it('leaves existing demands alone when seeding', () => {
      store.putDemande('N1', rec('N1', { a: 1 }), undefined);
      expect(store.seedDemandes([{ numUnique: 'N1', record: rec('N1', { a: 2 }) }, { numUnique: 'N2', record: rec('N2') }])).toBe(1);
      expect(store.getDemande('N1')!.record).toEqual({ numUnique: 'N1', a: 1 });
      expect(store.stats().writes).toBe(1);
    });
  });

  describe('events and acknowledgements', () => {
    const ev = { numUnique: 'N1', type: 'DECISION_CAL', occurredAt: '2025-01-02T10:00:00Z', payload: { decision: 'ATTRIBUTION' } };

    it('numbers events in order and is idempotent on the event id', () => {
      const a = store.addEvenement({ ...ev, id: 'e-1' });
      const b = store.addEvenement({ ...ev, id: 'e-2', type: 'RADIATION' });
      const again = store.addEvenement({ ...ev, id: 'e-1', type: 'OTHER' });
      expect(a).toMatchObject({ created: true, evenement: { id: 'e-1', seq: 1 } });
      expect(b.evenement.seq).toBe(2);
      expect(again).toEqual({ created: false, evenement: a.evenement });
      expect(store.listEvenements(0, 10).map((e) => e.id)).toEqual(['e-1', 'e-2']);
      expect(store.listEvenements(1, 10).map((e) => e.id)).toEqual(['e-2']);
    });

    it('generates an id when none is given', () => {
      const { evenement } = store.addEvenement(ev);
      expect(evenement.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('keeps the acknowledgements of an event in the order received', () => {
      store.addEvenement({ ...ev, id: 'e-1' });
      store.addAcquittement('e-1', { status: 'retrying', code: 'SNE_UNAVAILABLE', target: 'sne' });
      store.addAcquittement('e-1', { status: 'delivered', target: 'sne', at: '2025-01-02T11:00:00Z' });
      const acks = store.listAcquittements('e-1')!;
      expect(acks.map((a) => a.status)).toEqual(['retrying', 'delivered']);
      expect(acks[1]).toMatchObject({ evenementId: 'e-1', target: 'sne', at: '2025-01-02T11:00:00Z' });
      expect(acks[0]).not.toHaveProperty('message');
      expect(store.addAcquittement('nope', { status: 'delivered' })).toBeNull();
      expect(store.listAcquittements('nope')).toBeNull();
    });
  });

  it('empties everything on reset and numbers events from 1 again', () => {
    store.putDemande('N1', rec('N1'), undefined);
    store.addEvenement({ numUnique: 'N1', type: 'T', occurredAt: '2025-01-01T00:00:00Z', payload: {} });
    store.reset();
    expect(store.stats()).toMatchObject({ demandes: 0, writes: 0, events: 0 });
    expect(store.addEvenement({ numUnique: 'N1', type: 'T', occurredAt: '2025-01-01T00:00:00Z', payload: {} }).evenement.seq).toBe(1);
  });
});

describe('LocalStore on a file', () => {
  it('keeps demands, events and counters across a reopen', () => {
    const tmp = tempDir('store');
    try {
      const dbPath = path.join(tmp.dir, 'local.db');
      const first = new LocalStore({ dbPath });
      expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
      first.putDemande('N1', rec('N1', { a: 1 }), undefined);
      first.putDemande('N1', rec('N1', { a: 1 }), 1);
      first.addEvenement({ id: 'e-1', numUnique: 'N1', type: 'T', occurredAt: '2025-01-01T00:00:00Z', payload: {} });
      first.close();
      first.close();
      const second = new LocalStore({ dbPath });
      expect(second.getDemande('N1')).toMatchObject({ version: 1, record: { a: 1 } });
      expect(second.stats()).toMatchObject({ demandes: 1, writes: 1, noopWrites: 1, events: 1 });
      second.close();
    } finally {
      tmp.remove();
    }
  });
});
