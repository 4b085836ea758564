/**
 * The real local client against the real local simulator on loopback: the outcomes the gateway
 * relies on, paging, the event feed, persistence across a restart, and every injected fault seen by
 * the client as the right error class.
 */
import path from 'node:path';
import { GatewayError, ValidationError } from '../../../src/errors';
import { startLocalSimulator, type RunningLocalSimulator } from '../../../src/simulators/local';
import { createLocalClient, LocalConflictError, type LocalClient } from '../../../src/systems/local';
import { tempDir } from '../../simulators/support/http';

const TOKEN = 'int-token';
const rec = (numUnique: string, extra: Record<string, unknown> = {}) => ({ numUnique, ...extra });

async function caught(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected a rejection');
}

describe('local client against the local simulator', () => {
  let sim: RunningLocalSimulator;
  let client: LocalClient;
  /** For the calls a fault makes time out: a short timeout keeps the suite quick. */
  let impatient: LocalClient;

  beforeAll(async () => {
    sim = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:', closeGraceMs: 0 });
    client = createLocalClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 10_000 });
    impatient = createLocalClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 300 });
  });
  afterAll(async () => {
    client.close();
    impatient.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.store.reset();
    sim.faults.clear(1);
  });

  describe('demandes', () => {
    it('creates, updates, and reports an identical resend as unchanged without writing', async () => {
      await expect(client.putDemande('N1', rec('N1', { a: 1 }))).resolves.toMatchObject({ outcome: 'created', version: 1 });
      await expect(client.putDemande('N1', rec('N1', { a: 2 }), { ifMatch: 1 })).resolves.toMatchObject({
        outcome: 'updated',
        version: 2,
      });
      await expect(client.putDemande('N1', rec('N1', { a: 2 }), { ifMatch: 1 })).resolves.toMatchObject({
        outcome: 'unchanged',
        version: 2,
      });
      await expect(client.getDemande('N1')).resolves.toMatchObject({ version: 2, record: { numUnique: 'N1', a: 2 } });
      expect(sim.store.stats(['N1'])).toMatchObject({ writes: 2, noopWrites: 1, writesByNumUnique: { N1: 2 } });
    });

    it('raises LocalConflictError with the current version after a local-side change', async () => {
      await client.putDemande('N1', rec('N1', { a: 1 }));
      sim.store.touch('N1', (r) => ({ ...(r as object), a: 'local' }));
      const err = await caught(client.putDemande('N1', rec('N1', { a: 2 }), { ifMatch: 1 }));
      expect(err).toBeInstanceOf(LocalConflictError);
      expect(err).toMatchObject({ code: 'LOCAL_CONFLICT', currentVersion: 2, reason: 'version_mismatch' });
      const exists = await caught(client.putDemande('N1', rec('N1', { a: 3 })));
      expect(exists).toMatchObject({ currentVersion: 2, reason: 'exists' });
      expect(sim.store.stats().conflicts).toBe(2);
    });

    it('raises ValidationError LOCAL_REJECTED when the record does not belong to the URL', async () => {
      const err = await caught(client.putDemande('N1', rec('N2')));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code: 'LOCAL_REJECTED', issues: [{ path: 'numUnique', rule: 'matches_path' }] });
    });

    it('raises LOCAL_AUTH with a wrong token and writes nothing', async () => {
      const intruder = createLocalClient({ baseUrl: sim.url, token: 'nope' });
      try {
        expect(await caught(intruder.putDemande('N1', rec('N1')))).toMatchObject({ code: 'LOCAL_AUTH', errorClass: 'permanent' });
        expect(await caught(intruder.listEvenements())).toMatchObject({ code: 'LOCAL_AUTH' });
      } finally {
        intruder.close();
      }
      expect(sim.store.stats().demandes).toBe(0);
    });

    it('returns null for an unknown demand and LOCAL_NOT_FOUND for an update of one', async () => {
      await expect(client.getDemande('N404')).resolves.toBeNull();
      expect(await caught(client.putDemande('N404', rec('N404'), { ifMatch: 1 }))).toMatchObject({ code: 'LOCAL_NOT_FOUND' });
    });

    it('exports every demand once, in numUnique order, across pages', async () => {
      const ids = Array.from({ length: 450 }, (_, i) => `N${String((i * 7919) % 450).padStart(4, '0')}`);
      sim.store.seedDemandes(ids.map((n) => ({ numUnique: n, record: rec(n, { rang: n }) })));
      const seen: string[] = [];
      let pages = 0;
      for await (const page of client.exportAll({ pageSize: 100 })) {
        pages += 1;
        seen.push(...page.items.map((i) => i.numUnique));
        for (const item of page.items) expect(item.record).toEqual(rec(item.numUnique, { rang: item.numUnique }));
        // A demand created behind the cursor during the export does not shift the pages.
        if (pages === 2) await client.putDemande('N0000a', rec('N0000a'));
      }
      expect(pages).toBe(5);
      expect(seen).toEqual([...ids].sort());
    });
  });

  describe('evenements', () => {
    const ev = (type: string, id?: string) => ({
      ...(id === undefined ? {} : { id }),
      numUnique: 'N1',
      type,
      occurredAt: '2025-06-01T10:00:00Z',
      payload: { code: type },
    });

    it('reads the feed in seq order, page after page', async () => {
      for (const t of ['DESIGNATION', 'DECISION_CAL', 'ATTRIBUTION', 'RADIATION']) await client.postEvenement(ev(t));
      const first = await client.listEvenements({ after: 0, limit: 3 });
      expect(first.items.map((e) => e.type)).toEqual(['DESIGNATION', 'DECISION_CAL', 'ATTRIBUTION']);
      const second = await client.listEvenements({ after: first.nextAfter, limit: 3 });
      expect(second.items.map((e) => e.type)).toEqual(['RADIATION']);
      const end = await client.listEvenements({ after: second.nextAfter, limit: 3 });
      expect(end).toEqual({ items: [], nextAfter: second.nextAfter });
    });

    it('records an event once even when posted twice with the same id', async () => {
      const a = await client.postEvenement(ev('RADIATION', 'ev-1'));
      const b = await client.postEvenement(ev('RADIATION', 'ev-1'));
      expect(a.created).toBe(true);
      expect(b).toEqual({ evenement: a.evenement, created: false });
      expect(sim.store.stats().events).toBe(1);
    });

    it('keeps acknowledgements of an event in the order sent', async () => {
      const { evenement } = await client.postEvenement(ev('DECISION_CAL', 'ev-2'));
      await client.acknowledge(evenement.id, { status: 'retrying', code: 'SNE_UNAVAILABLE', target: 'sne' });
      await client.acknowledge(evenement.id, { status: 'delivered', target: 'sne', at: '2025-06-01T11:00:00Z' });
      const acks = await client.listAcquittements(evenement.id);
      expect(acks.map((a) => [a.status, a.code ?? null])).toEqual([
        ['retrying', 'SNE_UNAVAILABLE'],
        ['delivered', null],
      ]);
      expect(await caught(client.acknowledge('ev-unknown', { status: 'delivered' }))).toMatchObject({ code: 'LOCAL_NOT_FOUND' });
    });
  });

  describe('duplicate effects', () => {
    it('counts no duplicate for a resend of the same content, one for a replay of an older content', async () => {
      await client.putDemande('N1', rec('N1', { v: 'A' }));
      await client.putDemande('N1', rec('N1', { v: 'A' }));
      await client.putDemande('N1', rec('N1', { v: 'B' }), { ifMatch: 1 });
      expect(sim.store.stats().duplicateContentWrites).toBe(0);
      // A stale job replayed after a newer one: it writes content A a second time.
      await client.putDemande('N1', rec('N1', { v: 'A' }), { ifMatch: '*' });
      expect(sim.store.stats(['N1'])).toMatchObject({ writes: 3, noopWrites: 1, duplicateContentWrites: 1 });
    });
  });

  describe('faults, as the client sees them', () => {
    const PUT = { method: 'PUT', path: '/demandes/:numUnique', count: 1 } as const;

    beforeEach(async () => {
      await client.putDemande('F1', rec('F1', { step: 0 }));
    });

    it.each([
      [{ kind: 'error', status: 500 }, 'LOCAL_SERVER_ERROR', undefined],
      [{ kind: 'error', status: 502 }, 'LOCAL_SERVER_ERROR', undefined],
      [{ kind: 'rateLimit', retryAfterSeconds: 4 }, 'LOCAL_RATE_LIMITED', 4],
      [{ kind: 'maintenance', retryAfterSeconds: 60 }, 'LOCAL_UNAVAILABLE', 60],
    ] as const)('sees %j before processing as transient %s, and nothing was written', async (fault, code, retryAfter) => {
      sim.faults.add({ ...PUT, ...fault });
      const err = await caught(client.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 }));
      expect(err).toMatchObject({ code, errorClass: 'transient' });
      expect(err.retryAfterSeconds).toBe(retryAfter);
      await expect(client.getDemande('F1')).resolves.toMatchObject({ version: 1 });
    });

    it('sees a reset or a hang before processing as ambiguous for a write, though nothing was written', async () => {
      sim.faults.add({ ...PUT, kind: 'reset' });
      expect(await caught(client.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 }))).toMatchObject({
        code: 'LOCAL_CONNECTION_LOST',
        errorClass: 'ambiguous',
      });
      sim.faults.add({ ...PUT, kind: 'hang' });
      expect(await caught(impatient.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 }))).toMatchObject({
        code: 'LOCAL_TIMEOUT',
        errorClass: 'ambiguous',
      });
      // Reading back is how the gateway resolves the ambiguity: here nothing happened.
      await expect(client.getDemande('F1')).resolves.toMatchObject({ version: 1, record: { step: 0 } });
    });

    it.each([
      ['timeoutAfterProcessing', 'LOCAL_TIMEOUT'],
      ['truncated', 'LOCAL_CONNECTION_LOST'],
      ['malformed', 'LOCAL_BAD_RESPONSE'],
    ] as const)('sees %s as ambiguous %s, and the write is visible afterwards', async (kind, code) => {
      sim.faults.add({ ...PUT, kind });
      const err = await caught(impatient.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 }));
      expect(err).toMatchObject({ code, errorClass: 'ambiguous' });
      await expect(client.getDemande('F1')).resolves.toMatchObject({ version: 2, record: { step: 1 } });
      // Resending the same request is harmless: the local tool already has that content.
      await expect(client.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 })).resolves.toMatchObject({
        outcome: 'unchanged',
        version: 2,
      });
      expect(sim.store.stats(['F1'])).toMatchObject({ writesByNumUnique: { F1: 2 }, duplicateContentWrites: 0 });
    });

    it('sees the same faults on a read as transient', async () => {
      for (const kind of ['reset', 'timeoutAfterProcessing', 'truncated', 'malformed'] as const) {
        sim.faults.add({ kind, method: 'GET', count: 1 });
        expect(await caught(impatient.getDemande('F1'))).toMatchObject({ errorClass: 'transient' });
      }
    });

    it('sees an event post that timed out after processing as ambiguous, and a resend records it once', async () => {
      sim.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', path: '/evenements', count: 1 });
      const ev = { id: 'ev-t', numUnique: 'F1', type: 'RADIATION', occurredAt: '2025-06-01T10:00:00Z', payload: {} };
      expect(await caught(impatient.postEvenement(ev))).toMatchObject({ code: 'LOCAL_TIMEOUT', errorClass: 'ambiguous' });
      await expect(client.postEvenement(ev)).resolves.toMatchObject({ created: false });
      expect(sim.store.stats().events).toBe(1);
    });

    it('still succeeds under added latency', async () => {
      sim.faults.add({ kind: 'latency', minMs: 10, maxMs: 50, count: 3 });
      await expect(client.putDemande('F1', rec('F1', { step: 1 }), { ifMatch: 1 })).resolves.toMatchObject({ outcome: 'updated' });
    });
  });
});

describe('local simulator restart', () => {
  it('keeps demands, events, acknowledgements and counters in its database file', async () => {
    const tmp = tempDir('local-sim');
    const dbPath = path.join(tmp.dir, 'local.db');
    try {
      const first = await startLocalSimulator({ token: TOKEN, dbPath });
      const c1 = createLocalClient({ baseUrl: first.url, token: TOKEN });
      await c1.putDemande('R1', rec('R1', { a: 1 }));
      await c1.putDemande('R1', rec('R1', { a: 2 }), { ifMatch: 1 });
      const { evenement } = await c1.postEvenement({ id: 'ev-r', numUnique: 'R1', type: 'RADIATION', occurredAt: '2025-06-01T10:00:00Z', payload: {} });
      await c1.acknowledge(evenement.id, { status: 'delivered', target: 'sne' });
      c1.close();
      await first.close();
      await first.close();

      const second = await startLocalSimulator({ token: TOKEN, dbPath });
      const c2 = createLocalClient({ baseUrl: second.url, token: TOKEN });
      try {
        await expect(c2.getDemande('R1')).resolves.toMatchObject({ version: 2, record: { a: 2 } });
        await expect(c2.listEvenements()).resolves.toMatchObject({ items: [{ id: 'ev-r', seq: 1 }], nextAfter: 1 });
        await expect(c2.listAcquittements('ev-r')).resolves.toMatchObject([{ status: 'delivered', target: 'sne' }]);
        await expect(c2.putDemande('R1', rec('R1', { a: 3 }), { ifMatch: 2 })).resolves.toMatchObject({ version: 3 });
        expect(second.store.stats(['R1'])).toMatchObject({ writes: 3, events: 1, acks: 1, writesByNumUnique: { R1: 3 } });
      } finally {
        c2.close();
        await second.close();
      }
    } finally {
      tmp.remove();
    }
  });

  it('makes the client see a stopped simulator as transient LOCAL_UNREACHABLE', async () => {
    const sim = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:' });
    const c = createLocalClient({ baseUrl: sim.url, token: TOKEN });
    await sim.close();
    try {
      expect(await caught(c.putDemande('X1', rec('X1')))).toMatchObject({ code: 'LOCAL_UNREACHABLE', errorClass: 'transient' });
    } finally {
      c.close();
    }
  });
});
