/**
 * The pull end to end on real Redis and the simulators, with the daemon in a child process: 5,000
 * demands at the SNE simulator end up in the local tool field for field, even when the daemon is killed
 * with SIGKILL in the middle of the sync, several times; and no record is written twice.
 */
import { join } from 'node:path';
import { Gateway } from '../../src/daemon/gateway';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { startDaemon, waitUntil, type Daemon } from '../support/daemon';
import { quietLogger, startTestLocal, testConfig, testDirs, writeTestConfig, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';

jest.setTimeout(240_000);

const t = useTestRedis('sync-e2e');
const AUTH = { authorization: 'Bearer test-local-token-0123456789' };

interface LocalStats {
  demandes: number;
  writes: number;
  duplicateContentWrites: number;
}

describe.each([
  { delivery: 'inline', count: 5000, killAt: [300, 2000, 4200] },
  { delivery: 'queued', count: 1500, killAt: [200, 900] },
])('the initial sync of $count demands, delivered $delivery', ({ delivery, count, killAt }) => {
  let dirs: TestDirs;
  let sne: RunningSneSimulator;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let configPath: string;
  let trigger: Gateway;
  let daemon: Daemon | undefined;
  const prefix = `${t.prefix}-e2e-${delivery}`;

  const stats = async (): Promise<LocalStats> => (await (await fetch(`${local.sim.url}/_sim/stats`, { headers: AUTH })).json()) as LocalStats;

  beforeAll(async () => {
    dirs = testDirs('sync-e2e');
    sne = await startSneSimulator({ seed: 'e2e', count });
    local = await startTestLocal(join(dirs.root, 'local.db'));
    const options = { dirs, prefix, localUrl: local.sim.url, sneUrl: sne.url, extra: { pull: { pageSize: 100, parseThreads: 1, delivery } } };
    configPath = writeTestConfig(options);
    trigger = new Gateway({ config: testConfig(options), logger: quietLogger().logger, local: local.client, systems: new Map(), roles: [] });
    await trigger.start();
  });

  afterAll(async () => {
    await daemon?.kill();
    await trigger.close();
    await sne.close();
    await local.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs.cleanup();
  });

  it('delivers every demand field for field, through SIGKILLs of the daemon at several points, writing each record once', async () => {
    await sne.writeDispatchFile({ dir: dirs.drop, all: true, perFile: Math.ceil(count / 2) });
    daemon = startDaemon(configPath);
    const { runId } = await trigger.triggerPull({ source: 'dispatch', trigger: 'test' });

    // Kill it at three points of the sync, then start it again each time.
    for (const at of killAt) {
      await waitUntil(async () => (await stats()).writes >= at, 120_000, `${at} writes`).catch((e: Error) => {
        throw new Error(`${e.message}; daemon said:\n${daemon?.logs().slice(-3000)}`);
      });
      expect(await daemon.kill('SIGKILL')).toBeNull();
      daemon = startDaemon(configPath);
    }

    const run = await trigger.waitForRun(runId, { timeoutMs: 180_000 });
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ fetched: count, valid: count, quarantined: 0, delivered: count, conflicts: 0, failed: 0 });

    const s = await stats();
    expect(s.demandes).toBe(count);
    expect(s.writes).toBe(count);
    expect(s.duplicateContentWrites).toBe(0);

    let compared = 0;
    for (const rec of sne.store.iterate()) {
      const stored = await local.client.getDemande(rec.demande.numUnique!);
      expect(stored?.record).toEqual(JSON.parse(JSON.stringify(rec.demande)));
      compared++;
    }
    expect(compared).toBe(count);
  });
});
