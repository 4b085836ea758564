import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway } from '../../src/daemon/gateway';
import { loadMappings } from '../../src/mapping';
import { PARSE_INLINE } from '../../src/reconcile/engine';
import { runReconciliation } from '../../src/reconcile';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { iterateDemandes } from '../../src/synthetic';
import { createSystems } from '../../src/systems';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';

const t = useTestRedis('reconcile-first');
const COUNT = PARSE_INLINE + 300;

describe('a first reconciliation, before any pull recorded what the source sent', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let sne: RunningSneSimulator;
  let gateway: Gateway;
  const logs = quietLogger();
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    dirs = testDirs('reconcile-first');
    local = await startTestLocal();
    sne = await startSneSimulator({ seed: 'first-run', count: COUNT, dispatchDir: join(dirs.root, 'stock'), indexAtStart: false });
    mkdirSync(join(dirs.root, 'stock'), { recursive: true });
    // The local tool already holds the same demands (loaded before the gateway existed).
    local.sim.store.seedDemandes([...iterateDemandes({ count: COUNT, seed: 'first-run' })].map((d) => ({ numUnique: d.numUnique!, record: d })));
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    await sne?.close();
    await local?.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
  });

  it('parses the whole stock (in a worker thread past the first demands) and finds both sides identical', async () => {
    const config = testConfig({ dirs, prefix, localUrl: local.sim.url, sneUrl: sne.url, extra: { pull: { parseThreads: 1 } } });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    const systems = createSystems({ config, codec, logger: logs.logger });
    gateway = new Gateway({ config, logger: logs.logger, local: local.client, systems, codec, roles: [] });
    await gateway.start();
    await sne.writeDispatchFile({ dir: join(dirs.root, 'stock'), all: true });
    const r = await runReconciliation(
      {
        config,
        redis: gateway.redis,
        bullRedis: gateway.bullRedis,
        keys: gateway.keys,
        ledger: gateway.ledger,
        deadLetters: gateway.deadLetters,
        quarantine: gateway.quarantine,
        conflicts: gateway.conflicts,
        runs: gateway.runs,
        codec,
        logger: logs.logger,
        queues: gateway.queues,
        local: local.client,
        systems,
        tables: loadMappings(),
      },
      { stock: join(dirs.root, 'stock'), today: '2025-03-14', write: false },
    );
    expect(r.report.source).toMatchObject({ mode: 'stock', demandes: COUNT, parsed: COUNT });
    expect(r.report.compared).toEqual({ demandes: COUNT, identical: COUNT });
    for (const c of ['missing-local', 'missing-source', 'divergent', 'changed-locally'] as const) expect(r.report.counts[c]).toBe(0);
    expect(r.report.confirmation.reads).toBe(0);
  }, 120_000);
});
