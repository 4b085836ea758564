/**
 * Readiness follows Redis (design.md §5: after a Redis failover workers can stop silently while
 * producers keep adding jobs). A gateway runs against a Redis of this test's own (never the shared one),
 * that is stopped and started again on the same port with AOF on: `/readyz` turns 503 while it is gone
 * and 200 once it is back, the data written before survives, and the same workers, never restarted,
 * take new work.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { Gateway } from '../../src/daemon/gateway';
import type { Readiness } from '../../src/server';
import { generateDemandes } from '../../src/synthetic';
import { startDaemon, waitUntil } from '../support/daemon';
import { quietLogger, startTestLocal, testDirs, testEnv, writeTestConfig, type TestDirs } from '../support/gateway';
import { localStats, ownRedis, webSection, writeDispatch, type OwnRedis } from './support';

jest.setTimeout(60_000);

describe('readiness across a Redis outage', () => {
  let dirs: TestDirs;
  let redis: OwnRedis;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let gateway: Gateway;
  let path: string;
  const logs = quietLogger();

  const readyz = async (): Promise<{ status: number; body: Readiness }> => {
    const res = await fetch(`${gateway.webUrl}/readyz`);
    return { status: res.status, body: (await res.json()) as Readiness };
  };

  beforeAll(async () => {
    dirs = testDirs('ops-readiness');
    redis = await ownRedis(join(dirs.root, 'redis'));
    local = await startTestLocal();
    path = writeTestConfig({ dirs, localUrl: local.sim.url, prefix: 'ops-readiness', extra: { web: await webSection() } });
    // The test's own Redis, at its own port (REDIS_URL overrides the file, as in production).
    const config = loadConfig({ path, env: { ...testEnv, REDIS_URL: redis.url }, cwd: dirs.root });
    expect(config.redis.url).toBe(redis.url);
    gateway = new Gateway({ config, logger: logs.logger, local: local.client, systems: new Map(), roles: ['worker', 'web'] });
    await gateway.start();
  });

  afterAll(async () => {
    await redis?.start(); // a gateway closes faster with its Redis there
    await gateway?.close();
    await local?.sim.close();
    await redis?.stop();
    dirs?.cleanup();
  });

  it('is ready with Redis and workers up, and delivers a first dispatch file', async () => {
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['redis', 'worker:deliver', 'worker:pull']));

    writeDispatch(dirs.drop, 'DEMG0123-202611200300-000001.xml', generateDemandes({ count: 40, seed: 'ops-ready-1' }));
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.counts).toMatchObject({ fetched: 40, delivered: 40, failed: 0 });
  });

  it('answers 503 while Redis is gone, naming Redis and the workers, and keeps answering', async () => {
    await redis.stop();
    await waitUntil(async () => (await readyz()).status === 503, 15_000, '/readyz to answer 503');
    const r = await readyz();
    expect(r.body.ready).toBe(false);
    expect(r.body.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false });
    expect(r.body.checks.filter((c) => c.name.startsWith('worker:')).every((c) => !c.ok)).toBe(true);
    // Liveness is not readiness: the process itself is fine.
    expect((await fetch(`${gateway.webUrl}/healthz`)).status).toBe(200);
  });

  it('is ready again once Redis is back, and the same workers deliver new work without a restart', async () => {
    await redis.start();
    await waitUntil(async () => (await readyz()).status === 200, 20_000, '/readyz to answer 200 again');
    expect((await readyz()).body.checks.every((c) => c.ok)).toBe(true);

    // What was acknowledged before the outage survived it (AOF): the ledger knows the first demands.
    const before = await localStats(local.sim.url);
    writeDispatch(dirs.drop, 'DEMG0123-202611210300-000001.xml', [
      ...generateDemandes({ count: 40, seed: 'ops-ready-1' }).slice(0, 10),
      ...generateDemandes({ count: 25, seed: 'ops-ready-2' }),
    ]);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ fetched: 35, unchanged: 10, changed: 25, delivered: 25, failed: 0 });
    const after = await localStats(local.sim.url);
    expect(after.writes - before.writes).toBe(25);
    expect(after.demandes).toBe(65);
  });

  it('counts a worker process of its own in readiness while it runs, and forgets it when it stops cleanly', async () => {
    const daemon = startDaemon(path, 'worker', { REDIS_URL: redis.url });
    const name = (pid: number) => new RegExp(`^process:.*:${pid}$`);
    try {
      await waitUntil(async () => (await readyz()).body.checks.some((c) => name(daemon.child.pid!).test(c.name)), 30_000, 'the worker process heartbeat').catch(
        (e: Error) => {
          throw new Error(`${e.message}; daemon said:\n${daemon.logs().slice(-3000)}`);
        },
      );
      expect((await readyz()).body.checks.find((c) => name(daemon.child.pid!).test(c.name))).toMatchObject({ ok: true });
    } finally {
      expect(await daemon.kill('SIGTERM')).toBe(0);
    }
    // A clean stop is not a dead worker: no stale heartbeat is left to turn readiness to 503 later.
    const after = await readyz();
    expect(after.status).toBe(200);
    expect(after.body.checks.some((c) => name(daemon.child.pid!).test(c.name))).toBe(false);
  });
});
