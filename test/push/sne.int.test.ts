/**
 * The push end to end on the SNE simulator (SOAP/MTOM on loopback) through the real SNE client: the
 * simulator counts every write it applies and every resubmission it recognises, so a second effect
 * would show.
 */
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import type { Demande } from '../../src/domain';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { createSneClient, defaultAnomalyTablePath, type SneClient } from '../../src/systems/sne';
import { loadAnomalyTable } from '../../src/systems/sne/wire/anomalies';
import { ackStatuses, decisionEvent, eventually, labelEvent, startHarness, type Harness } from './support';

describe('the push to the SNE simulator', () => {
  let sne: RunningSneSimulator;
  let client: SneClient;
  let h: Harness;
  let demandes: Demande[];
  const nu = (i: number) => demandes[i]!.numUnique!;

  beforeAll(async () => {
    sne = await startSneSimulator({ count: 6, seed: 'push-sne' });
    demandes = [...sne.store.iterate()].map((r) => r.demande).filter((d) => d.radiation === undefined);
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    client = createSneClient({ url: sne.url, guichet: 'G0123', timeoutMs: 5_000, interfaceVersion: '02.01', codec, anomalyTable: loadAnomalyTable(defaultAnomalyTablePath) });
    h = await startHarness({ name: 'sne', system: client });
    h.local.sim.store.seedDemandes(demandes.map((d) => ({ numUnique: d.numUnique!, record: d })));
    h.pipeline.start({ intakeLoop: false });
  });

  afterAll(async () => {
    await h.close();
    await client.close();
    await sne.close();
  });

  it('writes a label into the SNE demand once', async () => {
    const before = sne.stats();
    const [e] = await h.post([labelEvent(nu(0), 1)]);
    await h.pipeline.intake.followOnce();
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    expect(sne.store.get(nu(0))!.demande.labels.at(-1)).toEqual({ source: 'DALO', date: '2024-03-01', emetteur: 'EVT-1' });
    const after = sne.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.duplicateWrites).toBe(before.duplicateWrites);
  });

  it('does not write twice when the answer of a write is lost: the demand read back shows it', async () => {
    const before = sne.stats();
    sne.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', count: 1, holdMs: 50 });
    const [e] = await h.post([labelEvent(nu(1), 2)]);
    await h.pipeline.intake.followOnce();
    await eventually('delivered', async () => (await ackStatuses(h, e!.id!)).includes('delivered'));
    const after = sne.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.duplicateWrites).toBe(before.duplicateWrites);
    expect(sne.store.get(nu(1))!.demande.labels.at(-1)!.emetteur).toBe('EVT-2');
    expect((await h.acks(e!.id!)).at(-1)!.message).toContain('confirmed by reading the demand back');
  });

  it('parks a CAL decision whose answer was lost, without sending it again', async () => {
    const before = sne.stats();
    sne.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', count: 1, holdMs: 50 });
    const [e] = await h.post([decisionEvent(nu(2), { kind: 'attributionRang', rang: 2, nombreClasses: 3 })]);
    await h.pipeline.intake.followOnce();
    const dl = await eventually('parked', async () => (await h.deadLetters.search({ numUnique: nu(2) }))[0]);
    expect(dl.code).toBe('PUSH_AMBIGUOUS');
    expect((await h.acks(e!.id!)).map((a) => a.status)).toEqual(['retrying']);
    const after = sne.stats();
    expect(after.writes - before.writes).toBe(1);
    expect(after.duplicateWrites).toBe(before.duplicateWrites);
  });
});
