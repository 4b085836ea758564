/**
 * SIGTERM during a busy run (design.md §5: `worker.close()` has no deadline of its own): the daemon, a
 * child process, finishes or hands back every active job and exits 0 within `queues.shutdownDeadlineMs`;
 * a second daemon then finishes the run, and every demand reaches the local tool exactly once.
 */
import { Gateway } from '../../src/daemon/gateway';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import { startDaemon, waitUntil, type Daemon } from '../support/daemon';
import { quietLogger, startTestLocal, testConfig, testDirs, writeTestConfig, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { localStats } from './support';

jest.setTimeout(90_000);

const t = useTestRedis('ops-shutdown');
const COUNT = 3000;
const DEADLINE_MS = 3000;
/** Closing the queues and connections after the deadline (each has its own 2 s cap). */
const MARGIN_MS = 6000;

describe('SIGTERM during a busy run', () => {
  let dirs: TestDirs;
  let sne: RunningSneSimulator;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let configPath: string;
  let trigger: Gateway;
  const daemons: Daemon[] = [];
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    dirs = testDirs('ops-shutdown');
    sne = await startSneSimulator({ seed: 'ops-shutdown', count: COUNT });
    local = await startTestLocal();
    const options = {
      dirs,
      prefix,
      localUrl: local.sim.url,
      extra: {
        // A short local timeout keeps the pull's source lock (twice the timeout) from delaying the resume.
        local: { url: local.sim.url, token: { env: 'T_LOCAL_TOKEN' }, timeoutMs: 1000 },
        pull: { pageSize: 100, parseThreads: 1, delivery: 'inline', deliveryConcurrency: 8 },
        queues: { backoff: { baseMs: 50, maxMs: 500 }, attempts: 5, shutdownDeadlineMs: DEADLINE_MS, lockDurationMs: 2000, stalledIntervalMs: 1000 },
      },
    };
    configPath = writeTestConfig(options);
    // Adds the pull and watches the run; runs no worker itself.
    trigger = new Gateway({ config: testConfig(options), logger: quietLogger().logger, local: local.client, systems: new Map(), roles: [] });
    await trigger.start();
  });

  afterAll(async () => {
    for (const d of daemons) await d.kill();
    await trigger?.close();
    await sne?.close();
    await local?.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
  });

  it('exits 0 within the deadline, and a second daemon finishes the run with every demand delivered once', async () => {
    await sne.writeDispatchFile({ dir: dirs.drop, all: true });
    // A slow local tool (its batch endpoint too): the run lasts well past the shutdown deadline.
    local.sim.faults.add({ kind: 'latency', ms: 25, method: 'PUT' });
    local.sim.faults.add({ kind: 'latency', ms: 800, method: 'POST', path: '/demandes/batch' });
    const first = startDaemon(configPath);
    daemons.push(first);
    const { runId } = await trigger.triggerPull({ source: 'dispatch', trigger: 'test' });
    await waitUntil(async () => (await localStats(local.sim.url)).writes >= 300, 30_000, '300 writes').catch((e: Error) => {
      throw new Error(`${e.message}; daemon said:\n${first.logs().slice(-3000)}`);
    });
    expect((await trigger.runs.get(runId))?.status).toBe('running');

    const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)));
    first.child.kill('SIGTERM');
    // Another daemon on the same Redis, as in a rolling restart: it takes the work handed back.
    const second = startDaemon(configPath);
    daemons.push(second);
    const code = await Promise.race([
      exited,
      new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), DEADLINE_MS + MARGIN_MS).unref()),
    ]);
    if (code !== 0) throw new Error(`the daemon ended with ${String(code)}; it said:\n${first.logs().slice(-4000)}`);
    expect(code).toBe(0);
    // The run outlasts the deadline: the pull job was handed back, not finished.
    expect(first.logs()).toMatch(/handing back active jobs/);
    expect((await trigger.runs.get(runId))?.status).toBe('running');
    expect((await localStats(local.sim.url)).writes).toBeLessThan(COUNT);
    local.sim.faults.clear();

    const run = await trigger.waitForRun(runId, { timeoutMs: 60_000 }).catch((e: Error) => {
      throw new Error(`${e.message}; second daemon said:\n${second.logs().slice(-3000)}`);
    });
    expect(run.status).toBe('finished');
    expect(run.counts).toMatchObject({ fetched: COUNT, valid: COUNT, delivered: COUNT, failed: 0, conflicts: 0 });

    const s = await localStats(local.sim.url);
    expect(s).toMatchObject({ demandes: COUNT, writes: COUNT, duplicateContentWrites: 0 });
    expect(await second.kill('SIGTERM')).toBe(0);
  });
});
