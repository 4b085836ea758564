/**
 * Writes to the local tool whose answer is lost, end to end on real Redis and the local-tool simulator,
 * in both delivery modes: a write that did not land is sent again by the delivery queue (no dead
 * letter waiting for a person), a write that landed is recognised; each content is written once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway } from '../../src/daemon/gateway';
import type { Demande } from '../../src/domain';
import type { FaultSpec } from '../../src/simulators/common';
import { generateDemandes } from '../../src/synthetic';
import { createLocalClient, type LocalClient } from '../../src/systems/local';
import { quietLogger, startTestLocal, TEST_LOCAL_TOKEN, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';

jest.setTimeout(60_000);
const t = useTestRedis('deliver');
const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
const COUNT = 6;

/** A dispatch file of these demands, dated `day` (a later file carries newer contents). */
function dispatchFile(dirs: TestDirs, demandes: Demande[], day: number): void {
  const date = `2026-11-${String(day).padStart(2, '0')}T03:00:00.0+01:00`;
  writeFileSync(
    join(dirs.drop, `DEMG0123-202611${String(day).padStart(2, '0')}0300-000001.xml`),
    buildInterfaceNuu({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: date }, demandes }, codec),
  );
}

/** The same demands with another first name each: new contents of the same demands. */
function renamed(demandes: Demande[], suffix: string): Demande[] {
  return demandes.map((d) => ({ ...d, demandeur: { ...d.demandeur, prenom: `${d.demandeur.prenom}${suffix}` } }));
}

describe.each([
  // Inline, the batch request is lost first: its demands go to the delivery queue, whose PUTs are lost next.
  { delivery: 'inline', first: [{ method: 'POST', path: '/demandes/batch', count: 1 }, { method: 'PUT', path: '/demandes/:numUnique', count: 2 }] },
  { delivery: 'queued', first: [{ method: 'PUT', path: '/demandes/:numUnique', count: 2 }] },
] as const)('a write to the local tool whose answer is lost, delivered $delivery', ({ delivery, first }) => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let client: LocalClient;
  let gateway: Gateway;
  const prefix = `${t.prefix}-${delivery}`;
  const demandes = generateDemandes({ count: COUNT, seed: `deliver-${delivery}` });

  const pull = async () => {
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    return gateway.waitForRun(runId, { timeoutMs: 45_000 });
  };

  beforeAll(async () => {
    dirs = testDirs('deliver');
    local = await startTestLocal();
    // Impatient, so that a held request times out quickly.
    client = createLocalClient({ baseUrl: local.sim.url, token: TEST_LOCAL_TOKEN, timeoutMs: 400 });
    const config = testConfig({ dirs, prefix, localUrl: local.sim.url, extra: { pull: { pageSize: 100, parseThreads: 1, delivery } } });
    gateway = new Gateway({ config, logger: quietLogger().logger, local: client, systems: new Map(), roles: ['worker'] });
    await gateway.start();
    dispatchFile(dirs, demandes, 20);
    expect((await pull()).counts).toMatchObject({ delivered: COUNT, failed: 0 });
  });

  afterAll(async () => {
    await gateway.close();
    await local.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs.cleanup();
  });

  it.each([
    // Held without being processed: the client gives up (LOCAL_TIMEOUT), nothing was written.
    ['sends again a write that did not land (the read-back finds the demand untouched), without a dead letter, writing each content once', 'hang', 'a', 21],
    // Processed, never answered: the write is there.
    ['recognises a write that landed though its answer was lost, and does not write it again', 'timeoutAfterProcessing', 'b', 22],
  ] as const)('%s', async (_what, kind, suffix, fileNo) => {
    const next = renamed(demandes, suffix);
    const before = local.sim.store.stats();
    for (const f of first) local.sim.faults.add({ ...f, kind, holdMs: 1_500 } as FaultSpec);
    dispatchFile(dirs, next, fileNo);
    const run = await pull();
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ changed: COUNT, delivered: COUNT, conflicts: 0, failed: 0 });
    expect(local.sim.faults.list()).toEqual([]);
    expect(await gateway.deadLetters.countOpen()).toBe(0);
    const after = local.sim.store.stats();
    expect(after.writes - before.writes).toBe(COUNT);
    expect(after.duplicateContentWrites).toBe(0);
    for (const d of next) expect((await local.client.getDemande(d.numUnique!))?.record).toEqual(JSON.parse(JSON.stringify(d)));
  });
});
