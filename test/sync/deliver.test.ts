/**
 * Delivery to the local tool when the answer to a write is lost (timeout, reset): the demand is read
 * back, and what it shows decides. These cases run against an in-memory local tool that keeps a
 * version per demand, as the local API does (docs/local-api.openapi.yaml).
 */
import { AmbiguousError, TransientError } from '../../src/errors';
import { LocalConflictError } from '../../src/systems/local/errors';
import { LedgerState, type LedgerEntry } from '../../src/state/ledger';
import { DeliverErrorCode, pendingEntry, resolveWrite, writeRecord, type Delivery, type LocalWriter } from '../../src/sync/deliver';
import { normalisedHash } from '../../src/sync/hash';
import { generateDemandes } from '../../src/synthetic';

const now = () => new Date('2026-11-27T10:00:00Z');
const [base] = generateDemandes({ count: 1, seed: 'deliver-unit' });
const NU = base!.numUnique!;
/** The demand with another first name: another content of the same demand. */
const variant = (suffix: string): unknown => {
  const r = JSON.parse(JSON.stringify(base)) as { demandeur: { prenom: string } };
  r.demandeur.prenom += suffix;
  return r;
};
const older = variant('');
const newer = variant('bis');

const timeout = () => new AmbiguousError('LOCAL_TIMEOUT', 'local PUT /demandes/{numUnique}: timeout; the write may have happened', { system: 'local' });

/** A local tool holding one demand (or none): PUT with If-Match as the API does, and counters. */
function localTool(initial: { version: number; record: unknown } | null) {
  let stored = initial;
  const seen = { puts: 0, writes: 0 };
  const local: LocalWriter = {
    async putDemande(_nu, record, options = {}) {
      seen.puts++;
      if (stored && normalisedHash(stored.record) === normalisedHash(record)) return { outcome: 'unchanged', version: stored.version };
      if ((options.ifMatch ?? null) !== (stored?.version ?? null)) throw new Error('precondition failed: the test did not expect this write');
      seen.writes++;
      stored = { version: (stored?.version ?? 0) + 1, record };
      return { outcome: stored.version === 1 ? 'created' : 'updated', version: stored.version };
    },
    async getDemande() {
      return stored;
    },
  };
  return {
    local,
    seen,
    set: (s: { version: number; record: unknown } | null) => {
      stored = s;
    },
  };
}

const delivery = (record: unknown): Delivery => ({ runId: 'run-1', source: 'dispatch', numUnique: NU, hash: normalisedHash(record)!, record });
/** The ledger after our last write of `older` at version 3, with the pending mark of the new write. */
const synced: LedgerEntry = { hash: normalisedHash(older)!, version: 3, at: '2026-11-26T10:00:00Z', state: LedgerState.synced };

describe('a write to the local tool whose answer was lost', () => {
  it('is to be sent again when the read-back shows it did not land (still at the version of its If-Match): a transient error, nothing written meanwhile', async () => {
    const tool = localTool({ version: 3, record: older });
    const attempt = resolveWrite(tool.local, delivery(newer), synced, now, 'job', { error: timeout() });
    await expect(attempt).rejects.toMatchObject({ code: DeliverErrorCode.notApplied, errorClass: 'transient', details: { lostAnswer: 'LOCAL_TIMEOUT', ifMatch: 3 } });
    expect(tool.seen.puts).toBe(0);
  });

  it('is to be sent again when a create did not land (the demand still absent)', async () => {
    const tool = localTool(null);
    await expect(resolveWrite(tool.local, delivery(newer), undefined, now, 'inline', { error: timeout() })).rejects.toMatchObject({
      code: DeliverErrorCode.notApplied,
      errorClass: 'transient',
    });
  });

  it('is sent again by the next attempt under the same If-Match, and written once', async () => {
    const tool = localTool({ version: 3, record: older });
    const first = tool.local.putDemande;
    tool.local.putDemande = async () => {
      throw timeout(); // lost before it reached the tool
    };
    await expect(writeRecord(tool.local, delivery(newer), synced, now, 'job')).rejects.toBeInstanceOf(TransientError);
    tool.local.putDemande = first;
    // The retry reads the ledger again: our last write, with the pending mark of this content.
    const w = await writeRecord(tool.local, delivery(newer), { ...synced, pendingHash: normalisedHash(newer)! }, now, 'job');
    expect(w).toMatchObject({ outcome: 'delivered', entry: { hash: normalisedHash(newer), version: 4, state: 'synced' } });
    expect(tool.seen.writes).toBe(1);
  });

  it('is delivered, with the version read back, when the read-back shows it landed; it is not sent again', async () => {
    const tool = localTool({ version: 4, record: newer });
    const w = await resolveWrite(tool.local, delivery(newer), synced, now, 'job', { error: timeout() });
    expect(w).toMatchObject({ outcome: 'delivered', entry: { version: 4, state: 'synced' } });
    expect(w.entry.pendingHash).toBeUndefined();
    expect(tool.seen.puts).toBe(0);
  });

  it('is a conflict, not overwritten, when the read-back shows a version we did not write', async () => {
    const tool = localTool({ version: 4, record: variant('ter') });
    const w = await resolveWrite(tool.local, delivery(newer), synced, now, 'job', { error: timeout() });
    expect(w).toMatchObject({ outcome: 'conflict', entry: { state: 'conflict' }, conflict: { numUnique: NU, expectedVersion: 3, currentVersion: 4 } });
    expect(tool.seen.puts).toBe(0);
  });

  it('is a conflict when the demand is gone from the local tool', async () => {
    const tool = localTool(null);
    const w = await resolveWrite(tool.local, delivery(newer), synced, now, 'job', { error: timeout() });
    expect(w).toMatchObject({ outcome: 'conflict', conflict: { expectedVersion: 3 } });
  });

  it('throws the read-back\'s own error when the demand cannot be read back (a transient one is retried: the resend is judged again)', async () => {
    const tool = localTool({ version: 3, record: older });
    const unreadable = new TransientError('LOCAL_TIMEOUT', 'local GET /demandes/{numUnique}: timeout', { system: 'local' });
    tool.local.getDemande = async () => {
      throw unreadable;
    };
    await expect(resolveWrite(tool.local, delivery(newer), synced, now, 'job', { error: timeout() })).rejects.toBe(unreadable);
  });

  it('writes over an earlier write of ours that landed unconfirmed before a newer content came, instead of calling it a conflict', async () => {
    // `newer` was sent at version 3 and crashed unconfirmed (it landed: version 4); then `latest` came.
    const latest = variant('quater');
    const afterCrash = pendingEntry(synced, normalisedHash(newer)!, '2026-11-27T09:00:00Z');
    const pending = pendingEntry(afterCrash, normalisedHash(latest)!, '2026-11-27T09:30:00Z');
    expect(pending).toMatchObject({ pendingHash: normalisedHash(latest), earlierPending: [normalisedHash(newer)] });
    const tool = localTool({ version: 4, record: newer });
    // The write of `latest` under If-Match 3 answers 409: the demand is at 4, holding our `newer`.
    const conflict = new LocalConflictError({ system: 'local', codePrefix: 'LOCAL', method: 'PUT', route: '/demandes/{numUnique}' }, 4, null);
    const w = await resolveWrite(tool.local, delivery(latest), pending, now, 'job', { error: conflict });
    expect(w).toMatchObject({ outcome: 'delivered', entry: { version: 5, state: 'synced' } });
    expect(w.entry.earlierPending).toBeUndefined();
  });
});
