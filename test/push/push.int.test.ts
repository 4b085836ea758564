import { pushJobId } from '../../src/push';
import { DeadLetterStatus } from '../../src/state/dead-letters';
import {
  ackStatuses,
  activeDemandes,
  decisionEvent,
  eventually,
  FaultKind,
  labelEvent,
  mappingsCopy,
  refusEvent,
  startHarness,
  type Harness,
} from './support';

describe('the push of local events to the SNE', () => {
  let h: Harness;
  const demandes = activeDemandes(16, 'push-main');
  const nu = (i: number) => demandes[i]!.numUnique!;

  beforeAll(async () => {
    h = await startHarness({ name: 'main' });
    h.seed(demandes);
    h.pipeline.start({ intakeLoop: false });
  });

  afterAll(async () => {
    await h.close();
  });

  it('sends an event once, with its change applied to the local record, and acknowledges it delivered', async () => {
    const [e] = await h.post([labelEvent(nu(0), 1)]);
    const r = await h.pipeline.intake.followOnce();
    expect(r).toMatchObject({ locked: true, fetched: 1, valid: 1, invalid: 0 });
    await eventually('the label written', () => h.fake.writesOf(nu(0)).length === 1);
    const w = h.fake.writesOf(nu(0))[0]!;
    expect(w.typeFichier).toBe('MOD');
    expect(w.demande.labels.at(-1)).toEqual({ source: 'DALO', date: '2024-03-01', emetteur: 'EVT-1' });
    expect(w.demande.demandeur).toEqual(demandes[0]!.demandeur);
    await eventually('the delivered acknowledgement', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    const [ack] = await h.acks(e!.id!);
    expect(ack).toMatchObject({ status: 'delivered', target: 'sne' });
    expect(ack!.message).toContain('MOD');
  });

  it('has one effect for an event arriving by the feed and the HMAC path, and for a replayed job', async () => {
    const [e] = await h.post([labelEvent(nu(1), 2)]);
    const raw = (await h.client.listEvenements({ after: e!.seq - 1, limit: 1 })).items[0]!;
    // Both ways at once: the endpoint's accept and the feed take the same event in.
    await Promise.all([h.pipeline.intake.accept([raw]), h.pipeline.intake.followOnce()]);
    await eventually('the label written', () => h.fake.writesOf(nu(1)).length === 1);
    await eventually('acknowledged', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    // Later, the same event again by the endpoint, and a job of it enqueued by hand (a replay).
    await h.pipeline.intake.accept([raw]);
    const queue = h.pipeline.queues.get('sne')!;
    const job = await queue.add('event', { target: 'sne', eventId: raw.id, numUnique: raw.numUnique, seq: raw.seq, type: raw.type, sealed: (await queue.getJob(pushJobId('sne', raw.id)))!.data.sealed! }, { jobId: `${pushJobId('sne', raw.id)}.replay-9` });
    await eventually('the replayed job done', async () => (await job.getState()) === 'completed');
    expect((await queue.getJob(job.id!))!.returnvalue).toBe('already-delivered');
    expect(h.fake.writesOf(nu(1))).toHaveLength(1);
    expect((await ackStatuses(h, e!.id!)).filter((s) => s === 'delivered')).toHaveLength(1);
  });

  it('does not acknowledge delivered twice after a crash between sending the acknowledgement and recording it', async () => {
    const [e] = await h.post([labelEvent(nu(14), 31)]);
    await h.pipeline.intake.followOnce();
    await eventually('acknowledged', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    await eventually('recorded as acknowledged', async () => (await h.pipeline.state.done('sne', e!.id!))?.acked === true);
    // The crash: the acknowledgement reached the local tool, its record in the ledger did not.
    const entry = (await h.pipeline.state.done('sne', e!.id!))!;
    await h.redis.hset(h.pipeline.state.keys.idempotency('sne'), e!.id!, JSON.stringify({ ...entry, acked: false }));
    const queue = h.pipeline.queues.get('sne')!;
    const first = (await queue.getJob(pushJobId('sne', e!.id!)))!;
    const rerun = await queue.add('event', first.data, { jobId: `${pushJobId('sne', e!.id!)}.rerun-1` });
    await eventually('the rerun done', async () => (await rerun.getState()) === 'completed');
    expect((await queue.getJob(rerun.id!))!.returnvalue).toBe('already-delivered');
    expect((await ackStatuses(h, e!.id!)).filter((s) => s === 'delivered')).toHaveLength(1);
    expect((await h.pipeline.state.done('sne', e!.id!))?.acked).toBe(true);
    expect(h.fake.writesOf(nu(14))).toHaveLength(1);
  });

  it('acknowledges delivered after a crash between recording the send and acknowledging it', async () => {
    const [e] = await h.post([labelEvent(nu(15), 32)]);
    await h.pipeline.intake.followOnce();
    await eventually('recorded as acknowledged', async () => (await h.pipeline.state.done('sne', e!.id!))?.acked === true);
    // Here the crash came before the acknowledgement: the local tool never got it.
    h.local.sim.store.db.prepare('DELETE FROM acquittements WHERE evenement_id = ?').run(e!.id!);
    const entry = (await h.pipeline.state.done('sne', e!.id!))!;
    await h.redis.hset(h.pipeline.state.keys.idempotency('sne'), e!.id!, JSON.stringify({ ...entry, acked: false }));
    const queue = h.pipeline.queues.get('sne')!;
    const rerun = await queue.add('event', (await queue.getJob(pushJobId('sne', e!.id!)))!.data, { jobId: `${pushJobId('sne', e!.id!)}.rerun-1` });
    await eventually('the rerun done', async () => (await rerun.getState()) === 'completed');
    expect(await ackStatuses(h, e!.id!)).toEqual(['delivered']);
    expect(h.fake.writesOf(nu(15))).toHaveLength(1);
  });

  it('completes without a dead letter a rerun of a delivered event the local tool no longer knows', async () => {
    const [e] = await h.post([labelEvent(nu(15), 33)]);
    await h.pipeline.intake.followOnce();
    await eventually('recorded as acknowledged', async () => (await h.pipeline.state.done('sne', e!.id!))?.acked === true);
    // Delivered, its acknowledgement not recorded, and the event gone from the local tool (404 on its acknowledgements).
    const entry = (await h.pipeline.state.done('sne', e!.id!))!;
    await h.redis.hset(h.pipeline.state.keys.idempotency('sne'), e!.id!, JSON.stringify({ ...entry, acked: false }));
    h.local.sim.store.db.prepare('DELETE FROM acquittements WHERE evenement_id = ?').run(e!.id!);
    h.local.sim.store.db.prepare('DELETE FROM evenements WHERE id = ?').run(e!.id!);
    const queue = h.pipeline.queues.get('sne')!;
    const rerun = await queue.add('event', (await queue.getJob(pushJobId('sne', e!.id!)))!.data, { jobId: `${pushJobId('sne', e!.id!)}.rerun-1` });
    await eventually('the rerun settled', async () => ['completed', 'failed'].includes(await rerun.getState()));
    expect(await rerun.getState()).toBe('completed');
    expect(await h.deadLetters.get(rerun.id!)).toBeUndefined();
  });

  it('sends nothing again when a page is taken in twice (a crash before the cursor moved)', async () => {
    const events = await h.post([labelEvent(nu(2), 3), labelEvent(nu(2), 4)]);
    const before = await h.cursors.get('local-events');
    await h.pipeline.intake.followOnce();
    await eventually('both written', () => h.fake.writesOf(nu(2)).length === 2);
    await h.cursors.set('local-events', before!);
    const again = await h.pipeline.intake.followOnce();
    expect(again.fetched).toBe(2);
    // Give the queue a chance to (wrongly) run anything; then nothing more was written.
    await eventually('queue idle', async () => (await h.pipeline.queues.get('sne')!.getJobCounts('wait', 'active', 'delayed')).active === 0);
    expect(h.fake.writesOf(nu(2))).toHaveLength(2);
    for (const e of events) expect((await ackStatuses(h, e.id!)).filter((s) => s === 'delivered')).toHaveLength(1);
  });

  it('holds a job whose order entry was never committed (a crash after the jobs were added) until the page is read again', async () => {
    const [e] = await h.post([labelEvent(nu(13), 13)]);
    const raw = (await h.client.listEvenements({ after: e!.seq - 1, limit: 1 })).items[0]!;
    const queue = h.pipeline.queues.get('sne')!;
    // The job alone, as the intake leaves it when it dies between the bulk add and its transaction.
    const job = await queue.add('event', { target: 'sne', eventId: raw.id, numUnique: raw.numUnique, seq: raw.seq, type: raw.type, sealed: h.cipher.seal(raw) }, { jobId: pushJobId('sne', raw.id) });
    await eventually('the job waiting', async () => (await job.getState()) === 'delayed');
    expect(h.fake.writesOf(nu(13))).toHaveLength(0);
    // The cursor did not move: the next read takes the page in again, and this time commits it.
    await h.pipeline.intake.followOnce();
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(13))).toHaveLength(1);
  });

  it('reads the demand back after a timeout following the write, and does not write again', async () => {
    h.fake.fail(FaultKind.ambiguousAfterWrite, 1, nu(3));
    const [e] = await h.post([labelEvent(nu(3), 5)]);
    await h.pipeline.intake.followOnce();
    await eventually('acknowledged delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(3))).toHaveLength(1);
    const acks = await h.acks(e!.id!);
    expect(acks.at(-1)!.message).toContain('confirmed by reading the demand back');
  });

  it('sends again after a timeout when the demand read back shows the write did not land', async () => {
    h.fake.fail(FaultKind.ambiguousBeforeWrite, 1, nu(4));
    const [e] = await h.post([labelEvent(nu(4), 6)]);
    await h.pipeline.intake.followOnce();
    await eventually('acknowledged delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(4))).toHaveLength(1);
    expect(await ackStatuses(h, e!.id!)).toEqual(['retrying', 'delivered']);
    expect((await h.acks(e!.id!))[0]!.code).toBe('PUSH_NOT_APPLIED');
  });

  it('parks a CAL decision whose write timed out (its effect cannot be read back) and never resends it', async () => {
    h.fake.fail(FaultKind.ambiguousAfterWrite, 1, nu(5));
    const [e, later] = await h.post([
      decisionEvent(nu(5), { kind: 'nonAttribution', motifs: [{ code: 'CANDIDAT_PRIORITAIRE' }] }),
      labelEvent(nu(5), 7),
    ]);
    await h.pipeline.intake.followOnce();
    const dl = await eventually('the dead letter', async () => (await h.deadLetters.search({ numUnique: nu(5) }))[0]);
    expect(dl).toMatchObject({ code: 'PUSH_AMBIGUOUS', errorClass: 'ambiguous', system: 'sne', status: 'open' });
    expect(dl.message).toContain('operator');
    const acks = await h.acks(e!.id!);
    expect(acks.map((a) => [a.status, a.code])).toEqual([['retrying', 'PUSH_AMBIGUOUS']]);
    // The decision was written once; its demand's next event waits behind it.
    expect(h.fake.writesOf(nu(5))).toHaveLength(1);
    expect(h.fake.writesOf(nu(5))[0]!.blocks).toEqual(['decisionCal']);
    expect(await h.pipeline.state.pendingOf('sne', nu(5))).toEqual([e!.id, later!.id]);
    // The operator checked the SNE holds it: discarding lets the next event go, without resending.
    await h.replayer.discardDeadLetter({ id: dl.id, who: 'test-operator' });
    await eventually('the next event written', () => h.fake.writesOf(nu(5)).length === 2);
    expect(h.fake.writesOf(nu(5))[1]!.demande.labels.at(-1)!.emetteur).toBe('EVT-7');
    expect((await h.deadLetters.get(dl.id))!.status).toBe(DeadLetterStatus.discarded);
    expect((await h.deadLetters.audit()).find((a) => a.deadLetterId === dl.id)).toMatchObject({ who: 'test-operator', action: 'discard' });
  });

  it('retries a transient failure, acknowledging retrying once, then delivered', async () => {
    h.fake.fail(FaultKind.transient, 3, nu(6));
    const [e] = await h.post([labelEvent(nu(6), 8)]);
    await h.pipeline.intake.followOnce();
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(await ackStatuses(h, e!.id!)).toEqual(['retrying', 'delivered']);
    expect(h.fake.writesOf(nu(6))).toHaveLength(1);
  });

  it('dead-letters a permanent refusal with its code and tells the local tool rejected', async () => {
    h.fake.fail(FaultKind.permanent, 1, nu(7));
    const [e] = await h.post([labelEvent(nu(7), 9)]);
    await h.pipeline.intake.followOnce();
    const dl = await eventually('the dead letter', async () => (await h.deadLetters.search({ numUnique: nu(7) }))[0]);
    expect(dl).toMatchObject({ code: 'CTRL_DEM_0030', errorClass: 'permanent', origin: `event ${e!.id} (seq ${e!.seq})`, attempts: 1 });
    expect(dl.sealedInput).toMatch(/^v1\.k1\./);
    expect(JSON.stringify(dl.job)).not.toContain('sealed":"v1');
    const acks = await h.acks(e!.id!);
    expect(acks.map((a) => [a.status, a.code])).toEqual([['rejected', 'CTRL_DEM_0030']]);
    expect(h.fake.writesOf(nu(7))).toHaveLength(0);
  });

  it('lets a demand go on when its stuck event is discarded from the dead-letter view (store only)', async () => {
    h.fake.fail(FaultKind.permanent, 1, nu(12));
    const [first, second] = await h.post([labelEvent(nu(12), 11), labelEvent(nu(12), 12)]);
    await h.pipeline.intake.followOnce();
    const dl = await eventually('the dead letter', async () => (await h.deadLetters.search({ numUnique: nu(12) }))[0]);
    expect(dl.origin).toContain(first!.id);
    // What the web view does: it closes the dead letter in the store, nothing more.
    await h.deadLetters.close(dl.id, DeadLetterStatus.discarded, 'web-user');
    await eventually('the next event delivered', async () => (await ackStatuses(h, second!.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(12)).map((w) => w.demande.labels.at(-1)!.emetteur)).toEqual(['EVT-12']);
  });

  it('quarantines an invalid event of the feed as a dead letter, rejected with every violation, and takes the rest of the page in', async () => {
    const [bad, good] = await h.post([
      { id: 'evt-bad-1', numUnique: nu(8), type: 'decisionCal', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: { dateCommission: '2024-02-20', logement: { bailleurSiren: '12' }, decision: { kind: 'attributionRang', rang: 0 } } },
      labelEvent(nu(9), 10),
    ]);
    const r = await h.pipeline.intake.followOnce();
    expect(r).toMatchObject({ fetched: 2, valid: 1, invalid: 1 });
    const dl = (await h.deadLetters.get(`intake.${bad!.id}`))!;
    expect(dl).toMatchObject({ code: 'EVENT_INVALID', queue: 'push-intake', system: 'local', numUnique: nu(8) });
    expect(dl.message).toContain('payload.logement.bailleurSiren');
    expect(dl.message).toContain('payload.decision.rang');
    expect(dl.message).not.toContain('"12"');
    const [ack] = await h.acks(bad!.id!);
    expect(ack).toMatchObject({ status: 'rejected', code: 'EVENT_INVALID' });
    await eventually('the valid one delivered', async () => (await ackStatuses(h, good!.id!)).includes('delivered'));
  });

  it('sends the events of one demand in their order, enqueued out of order, with 8 jobs at once', async () => {
    const raw = [];
    const events = [];
    for (let n = 0; n < 24; n++) events.push(labelEvent(nu(10), 100 + n));
    for (let n = 0; n < 6; n++) events.push(labelEvent(nu(11), 200 + n));
    const posted = await h.post(events);
    for (const p of posted) raw.push((await h.client.listEvenements({ after: p.seq - 1, limit: 1 })).items[0]!);
    // Shuffled: the jobs are enqueued out of order (their order entries land in one transaction).
    const shuffled = [...raw].sort((a, b) => ((a.seq * 7919) % 31) - ((b.seq * 7919) % 31));
    expect(shuffled.map((e) => e.seq)).not.toEqual(raw.map((e) => e.seq));
    await h.pipeline.intake.accept(shuffled);
    await eventually('every label written', () => h.fake.writesOf(nu(10)).length === 24 && h.fake.writesOf(nu(11)).length === 6, 60_000);
    const order = h.fake.writesOf(nu(10)).map((w) => w.demande.labels.at(-1)!.emetteur);
    expect(order).toEqual(Array.from({ length: 24 }, (_, n) => `EVT-${100 + n}`));
    expect(h.fake.writesOf(nu(11)).map((w) => w.demande.labels.at(-1)!.emetteur)).toEqual(Array.from({ length: 6 }, (_, n) => `EVT-${200 + n}`));
  });

  it('counts what it took in and what became of it in the day run of the target', async () => {
    const runs = await h.runs.list(10);
    const run = runs.find((r) => r.kind === 'push' && r.source === 'push:sne')!;
    expect(run).toBeDefined();
    expect(run.counts.fetched).toBeGreaterThan(0);
    expect(run.counts.quarantined).toBeGreaterThanOrEqual(1);
    expect(run.counts.delivered).toBeGreaterThan(0);
    expect(run.counts.failed).toBeGreaterThanOrEqual(2);
    expect(run.counts.changed).toBeGreaterThanOrEqual(run.counts.delivered);
  });

  it('never writes personal data in its logs', async () => {
    const text = await h.logs.text();
    for (const d of demandes) {
      expect(text).not.toContain(d.demandeur.nom);
      expect(text).not.toContain(d.demandeur.dateNaissance);
    }
  });
});

describe('a mapping error, a stuck demand and the replay after the table is fixed', () => {
  let h: Harness;
  const tables = mappingsCopy();
  const demandes = activeDemandes(3, 'push-replay');
  const nu = (i: number) => demandes[i]!.numUnique!;

  beforeAll(async () => {
    h = await startHarness({ name: 'replay', mappingsDir: tables.dir });
    h.seed(demandes);
    h.pipeline.start({ intakeLoop: false });
  });

  afterAll(async () => {
    await h.close();
    tables.cleanup();
  });

  it('dead-letters the event with a clear message, holds its demand, delivers the others, and replays it once the table is fixed', async () => {
    const [refus, after] = await h.post([refusEvent(nu(0), 'TROP_CHER'), labelEvent(nu(0), 1)]);
    const others = await h.post([labelEvent(nu(1), 2), labelEvent(nu(2), 3), labelEvent(nu(1), 4)]);
    await h.pipeline.intake.followOnce();

    const dl = await eventually('the dead letter', async () => (await h.deadLetters.search({ numUnique: nu(0) }))[0]);
    expect(dl.code).toBe('MAPPING_VIOLATION');
    expect(dl.message).toContain('payload.motif');
    expect(dl.message).toContain('cal/motifs-refus.yaml');
    expect(dl.message).toContain('TROP_CHER');
    const [ack] = await h.acks(refus!.id!);
    expect(ack).toMatchObject({ status: 'rejected', code: 'MAPPING_VIOLATION' });

    // The other demands go on; the stuck one's later event waits behind it.
    for (const o of others) await eventually('delivered', async () => (await ackStatuses(h, o.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(0))).toHaveLength(0);
    expect(await ackStatuses(h, after!.id!)).toEqual([]);
    expect(await h.pipeline.state.pendingOf('sne', nu(0))).toEqual([refus!.id, after!.id]);

    // A replay before the fix is refused: the dead letter stays open.
    const early = await h.replayer.replayDeadLetter({ id: dl.id, who: 'ops', dryRun: false });
    expect(early.ok).toBe(false);
    expect((await h.deadLetters.get(dl.id))!.status).toBe('open');

    tables.write('cal/motifs-refus.yaml', `${tables.read('cal/motifs-refus.yaml')}  TROP_CHER:\n    label: loyer trop cher (motif local)\n`);
    const dry = await h.replayer.replayDeadLetter({ id: dl.id, who: 'ops', dryRun: true });
    expect(dry).toMatchObject({ ok: true, dryRun: true, jobIds: [] });
    expect(dry.plan[0]).toMatchObject({ target: 'sne', transmit: true, typeFichier: 'MOD' });
    expect(dry.plan[0]!.block!.name).toBe('refusProposition');
    expect(h.fake.writesOf(nu(0))).toHaveLength(0);

    const done = await h.replayer.replayDeadLetter({ id: dl.id, who: 'ops' });
    expect(done.ok).toBe(true);
    expect(done.jobIds).toEqual([`${pushJobId('sne', refus!.id!)}.replay-1`]);
    await eventually('both events of the demand written', () => h.fake.writesOf(nu(0)).length === 2);
    expect(h.fake.writesOf(nu(0))[0]!.blocks).toEqual(['refusProposition']);
    expect(h.fake.writesOf(nu(0))[1]!.demande.labels.at(-1)!.emetteur).toBe('EVT-1');
    expect(await ackStatuses(h, refus!.id!)).toEqual(['rejected', 'delivered']);
    const closed = (await h.deadLetters.get(dl.id))!;
    expect(closed.status).toBe('replayed');
    expect((await h.deadLetters.audit()).find((a) => a.deadLetterId === dl.id)).toMatchObject({ who: 'ops', action: 'replay' });
  });
});

describe('what the tables decide', () => {
  let h: Harness;
  const tables = mappingsCopy();
  const demandes = activeDemandes(3, 'push-tables');
  const nu = (i: number) => demandes[i]!.numUnique!;

  beforeAll(async () => {
    tables.write('sne/events.yaml', tables.read('sne/events.yaml').replace('  visite:\n    typeFichier: MOD\n', '  visite:\n    typeFichier: MOD\n    transmit: false\n'));
    h = await startHarness({ name: 'tables', mappingsDir: tables.dir, extra: { rateLimits: new Map([['sne', { max: 50, durationMs: 1000 }]]) } });
    h.seed(demandes);
    h.pipeline.start({ intakeLoop: false });
  });

  afterAll(async () => {
    await h.close();
    tables.cleanup();
  });

  it("applies the target's rate limit to its worker", () => {
    expect(h.pipeline.workers[0]!.opts.limiter).toEqual({ max: 50, duration: 1000 });
  });

  it('acknowledges an event the tables keep out of the SNE as delivered, saying it is not transmitted, and sends nothing', async () => {
    const [e] = await h.post([{ id: 'evt-visite-1', numUnique: nu(0), type: 'visite', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: { statut: 'effectuee', date: '2024-02-28' } }]);
    await h.pipeline.intake.followOnce();
    await eventually('acknowledged', async () => (await h.acks(e!.id!)).length > 0);
    const [ack] = await h.acks(e!.id!);
    expect(ack).toMatchObject({ status: 'delivered', target: 'sne' });
    expect(ack!.message).toContain('not transmitted to sne');
    expect(ack!.message).toContain('transmit is false');
    expect(h.fake.writesOf(nu(0))).toHaveLength(0);
  });

  it('sends a rectification as the whole record it carries', async () => {
    const rectified = { ...demandes[1]!, logementRecherche: { ...demandes[1]!.logementRecherche, demandeElargie: !demandes[1]!.logementRecherche.demandeElargie } };
    const [e] = await h.post([{ id: 'evt-rect-1', numUnique: nu(1), type: 'rectification', occurredAt: '2024-03-01T10:00:00.0+01:00', payload: { demande: rectified } }]);
    await h.pipeline.intake.followOnce();
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    const [w] = h.fake.writesOf(nu(1));
    expect(w!.typeFichier).toBe('MOD');
    expect(w!.demande).toEqual(JSON.parse(JSON.stringify(rectified)));
  });

  it('dead-letters an event with an unknown local code at intake, and delivers it once the local table knows the code', async () => {
    const [e] = await h.post([decisionEvent(nu(2), { kind: 'DECISION_Z' })]);
    const r = await h.pipeline.intake.followOnce();
    expect(r.invalid).toBe(1);
    const dl = (await h.deadLetters.get(`intake.${e!.id}`))!;
    expect(dl.code).toBe('MAPPING_UNKNOWN_LOCAL_CODE');
    expect(dl.message).toContain('local/codes.yaml');
    expect(await ackStatuses(h, e!.id!)).toEqual(['rejected']);
    tables.write('local/codes.yaml', tables.read('local/codes.yaml').replace('    DECISION_E: irrecevabilite\n', '    DECISION_E: irrecevabilite\n    DECISION_Z: attribution\n'));
    const replay = await h.replayer.replayDeadLetter({ id: dl.id, who: 'ops' });
    expect(replay.ok).toBe(true);
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(h.fake.writesOf(nu(2))[0]!.blocks).toEqual(['decisionCal']);
  });
});

describe('follow-up radiation after a non-receivability decision', () => {
  for (const mode of ['schedule', 'flag'] as const) {
    describe(`in ${mode} mode`, () => {
      let h: Harness;
      const demandes = activeDemandes(1, `push-radirr-${mode}`);
      const nu = demandes[0]!.numUnique!;

      beforeAll(async () => {
        h = await startHarness({ name: `radirr-${mode}`, radiationIrrecevabilite: mode });
        h.seed(demandes);
        h.pipeline.start({ intakeLoop: false });
      });

      afterAll(async () => {
        await h.close();
      });

      it(mode === 'schedule' ? 'sends the RADIRR radiation when it falls due, after the decision' : 'records the due radiation for the reconciliation and sends nothing more', async () => {
        // The decision was taken long ago: its radiation is already due.
        const [e] = await h.post([decisionEvent(nu, { kind: 'irrecevabilite', sousMotif: 'IRRSEJ', dateNotification: '2024-02-21' })]);
        await h.pipeline.intake.followOnce();
        await eventually('the decision delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
        const follow = await h.pipeline.state.followUps();
        expect(follow).toHaveLength(1);
        expect(follow[0]).toMatchObject({ eventId: e!.id, motif: 'RADIRR', sousMotif: 'IRRSEJ', dueDate: '2024-03-21', mode });
        if (mode === 'schedule') {
          await eventually('the radiation written', () => h.fake.writesOf(nu).length === 2);
          const rad = h.fake.writesOf(nu)[1]!;
          expect(rad.typeFichier).toBe('RAD');
          expect(rad.demande.radiation).toEqual({ motif: 'RADIRR', sousMotif: 'IRRSEJ', date: '2024-03-21' });
          await eventually('acknowledged on the decision', async () => (await h.acks(e!.id!)).some((a) => a.code === 'RADIRR_SENT'));
          expect((await h.pipeline.state.followUps())[0]!.status).toBe('sent');
        } else {
          expect(follow[0]!.status).toBe('flagged');
          expect(h.fake.writesOf(nu)).toHaveLength(1);
        }
      });
    });
  }
});

describe('the circuit of a target', () => {
  let h: Harness;
  const demandes = activeDemandes(2, 'push-circuit');

  beforeAll(async () => {
    h = await startHarness({ name: 'circuit', circuit: { failureThreshold: 3, openMs: 400 }, attempts: 20 });
    h.seed(demandes);
    h.pipeline.start({ intakeLoop: false });
  });

  afterAll(async () => {
    await h.close();
  });

  it('opens after repeated transient failures, lets the jobs wait, and closes by itself when the target answers', async () => {
    h.fake.fail(FaultKind.transient, 4);
    const events = await h.post([labelEvent(demandes[0]!.numUnique!, 1), labelEvent(demandes[1]!.numUnique!, 2)]);
    await h.pipeline.intake.followOnce();
    for (const e of events) await eventually('delivered', async () => (await ackStatuses(h, e.id!)).includes('delivered'), 30_000);
    expect(h.circuitChanges).toEqual(expect.arrayContaining([['closed', 'open'], ['open', 'half-open'], ['half-open', 'closed']]));
    expect(h.circuitChanges.at(-1)).toEqual(['half-open', 'closed']);
    for (const e of events) {
      const statuses = await ackStatuses(h, e.id!);
      expect(statuses.filter((s) => s === 'retrying')).toHaveLength(1);
      expect(statuses.at(-1)).toBe('delivered');
    }
    expect(h.fake.writes).toHaveLength(2);
  });
});

describe('the intake loop', () => {
  let h: Harness;
  const demandes = activeDemandes(1, 'push-loop');

  beforeAll(async () => {
    h = await startHarness({ name: 'loop', pollMs: 50 });
    h.seed(demandes);
    h.pipeline.start();
  });

  afterAll(async () => {
    await h.close();
  });

  it('follows the feed by itself and stops when asked', async () => {
    const [e] = await h.post([labelEvent(demandes[0]!.numUnique!, 1)]);
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(await h.cursors.get('local-events')).toBe(String(e!.seq));
    await h.pipeline.intake.stop();
    await h.pipeline.intake.stop();
  });
});
