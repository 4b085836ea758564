import { classify, Reason, type DemandeSituation } from '../../src/reconcile';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const C = 'c'.repeat(32);

describe('the classification of a difference', () => {
  it('finds nothing when both sides hold the same content, or neither holds the demand', () => {
    expect(classify({ source: A, local: A, ledger: { hash: B } })).toBeUndefined();
    expect(classify({})).toBeUndefined();
  });

  it.each<[string, DemandeSituation, object]>([
    ['a demand the gateway wrote and the local tool lost', { source: A, ledger: { hash: A }, sourceLedgerHash: A }, { category: 'missing-local', reason: Reason.deletedLocally, stoppedAt: [], fix: 'repull', ledgerReset: 'delete' }],
    ['a demand pulled and never written', { source: A, sourceLedgerHash: A }, { category: 'missing-local', reason: Reason.notDelivered, stoppedAt: ['delivery'], fix: 'repull' }],
    ['a demand no dispatch brought yet', { source: A }, { category: 'missing-local', reason: Reason.notPulled, stoppedAt: ['not-pulled'], fix: 'repull' }],
    [
      'a delivery dead-lettered after its retries',
      { source: A, sourceLedgerHash: A, ledger: { failedHash: A }, deliverDeadLetter: { id: 'dl1', errorClass: 'transient' } },
      { category: 'missing-local', stoppedAt: ['dead-letter'], fix: 'replay', deadLetterId: 'dl1' },
    ],
    ['a delivery refused for good (needs its cause fixed)', { source: A, sourceLedgerHash: A, deliverDeadLetter: { id: 'dl2', errorClass: 'permanent' } }, { category: 'missing-local', deadLetterId: 'dl2' }],
    ['a demand only the local tool ever held', { local: A }, { category: 'missing-source', reason: Reason.localOnly, stoppedAt: [] }],
    ['a demand gone from the source', { local: A, ledger: { hash: A }, sourceLedgerHash: A }, { category: 'missing-source', reason: Reason.goneFromSource }],
    ['a change at the source not pulled yet', { source: B, local: A, ledger: { hash: A }, sourceLedgerHash: A }, { category: 'divergent', reason: Reason.sourceAhead, stoppedAt: ['not-pulled'], fix: 'repull' }],
    ['a change pulled, not delivered', { source: B, local: A, ledger: { hash: A }, sourceLedgerHash: B }, { category: 'divergent', reason: Reason.sourceAhead, stoppedAt: ['delivery'], fix: 'repull' }],
    [
      'a change whose delivery failed and was discarded',
      { source: B, local: A, ledger: { hash: A, failedHash: B }, sourceLedgerHash: B },
      { category: 'divergent', reason: Reason.sourceAhead, fix: 'repull', ledgerReset: 'clear-failed' },
    ],
    ['changes on both sides (a conflict)', { source: B, local: C, ledger: { hash: A }, sourceLedgerHash: B, conflict: true }, { category: 'divergent', reason: Reason.bothChanged, stoppedAt: ['conflict'] }],
    ['a local demand the gateway never wrote', { source: B, local: C }, { category: 'divergent', reason: Reason.neverSynced, stoppedAt: [] }],
    ['a local change not pushed', { source: A, local: B, ledger: { hash: A } }, { category: 'changed-locally', reason: Reason.localChange, stoppedAt: ['not-pushed'], fix: 'repush' }],
    ['a local change on its way', { source: A, local: B, ledger: { hash: A }, pushPending: true }, { category: 'changed-locally', stoppedAt: ['push-pending'] }],
    ['a local change whose push failed for a while', { source: A, local: B, ledger: { hash: A }, pushDeadLetter: { id: 'p1', errorClass: 'transient' } }, { category: 'changed-locally', stoppedAt: ['dead-letter'], fix: 'replay', deadLetterId: 'p1' }],
  ])('classifies %s', (_what, situation, expected) => {
    const c = classify(situation)!;
    expect(c).toMatchObject(expected);
    if (!('fix' in expected)) expect(c.fix).toBeUndefined();
  });

  it('never overwrites a local change unattended: no fix for both-changed, never-synced or a conflict', () => {
    for (const s of [
      { source: B, local: C, ledger: { hash: A } },
      { source: B, local: C },
      { source: B, local: A, ledger: { hash: A }, conflict: true },
      { source: A, ledger: { hash: A }, conflict: true },
    ]) {
      expect(classify(s)!.fix).toBeUndefined();
    }
  });
});
