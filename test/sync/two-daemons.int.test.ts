import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInterfaceNuu, createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway } from '../../src/daemon/gateway';
import { generateDemandes } from '../../src/synthetic';
import { waitUntil } from '../support/daemon';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';

jest.setTimeout(60_000);
const t = useTestRedis('two-daemons');

describe('two daemons side by side', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  const gateways: Gateway[] = [];
  const prefix = `${t.prefix}-2d`;

  beforeAll(async () => {
    dirs = testDirs('two-daemons');
    local = await startTestLocal();
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await local.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs.cleanup();
  });

  it('produce one job per tick, and the same end state as one daemon', async () => {
    const demandes = generateDemandes({ count: 300, seed: 'two-daemons' });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    writeFileSync(
      join(dirs.drop, 'DEMG0123-202611250300-000001.xml'),
      buildInterfaceNuu({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2026-11-25T03:00:00.0+01:00' }, demandes }, codec),
    );
    // Every second, so that a few seconds hold several ticks.
    const config = testConfig({
      dirs,
      prefix,
      localUrl: local.sim.url,
      extra: { schedules: { radiees: null, dalo: null, dispatchScan: '* * * * * *', localEvents: null, reconcile: null } },
    });
    for (let i = 0; i < 2; i++) {
      const g = new Gateway({ config, logger: quietLogger().logger, local: local.client, systems: new Map(), roles: ['scheduler', 'worker'] });
      gateways.push(g);
      await g.start();
    }
    await waitUntil(async () => local.sim.store.stats().demandes >= 300, 30_000, 'all demands delivered');
    await new Promise((r) => setTimeout(r, 3_000));
    await Promise.all(gateways.map((g) => g.close()));

    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(t.url, { maxRetriesPerRequest: null });
    const pull = new Queue('pull', { connection, prefix: `${prefix}:bull` });
    const jobs = await pull.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
    const ticks = jobs.map((j) => j.id!).filter((id) => id.startsWith('tick.dispatchScan.'));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    // Each tick's job records the nominal time; both daemons ticked every time, yet one job each.
    const nominal = jobs.filter((j) => j.id!.startsWith('tick.')).map((j) => (j.data as { tickAt: string }).tickAt);
    expect(new Set(nominal).size).toBe(nominal.length);
    await pull.close();
    connection.disconnect();

    const stats = local.sim.store.stats();
    expect(stats.demandes).toBe(300);
    expect(stats.writes).toBe(300);
    expect(stats.duplicateContentWrites).toBe(0);
  });
});
