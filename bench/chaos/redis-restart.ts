/**
 * Redis restart (design.md §3.1): the suite's own `redis-server` (a free port, a temporary folder, AOF on
 * with `appendfsync everysec`, `noeviction`) is stopped and started again in the middle of a full sync,
 * once cleanly (`SHUTDOWN`, which writes the AOF out) and once by SIGKILL of the Redis process. The run
 * must complete with every demand in the local tool once, the daemon staying up through the outage
 * (its connections reconnect by themselves). The shared Redis on 6379 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { comparePullEndState, createWorld, emptyResult, secs, sleep, spawnDaemon, waitForQuiescence, waitUntil, type ChildDaemon, type SectionResult } from './support';

/** The settings the suite runs its Redis with: what an operator must configure (docs/reliability.md). */
export const DURABLE_REDIS_ARGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', ''];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A private `redis-server` whose data (AOF) lives in a temporary folder kept across its restarts. */
export class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'passerelle-chaos-redis-'));
  private child: ChildProcess | undefined;
  constructor(readonly port: number, private readonly args: string[] = DURABLE_REDIS_ARGS) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--logfile', join(this.dir, 'redis.log'), ...this.args], {
      stdio: 'ignore',
    });
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    try {
      await waitUntil(
        async () => {
          try {
            if (probe.status !== 'ready') await probe.connect();
            // LOADING while the AOF is replayed.
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        20_000,
        'the private Redis',
        100,
      );
    } finally {
      probe.disconnect();
    }
  }

  /** `SHUTDOWN` (the AOF is flushed and fsynced) or SIGKILL of the process (as a crash). */
  async stop(how: 'shutdown' | 'kill'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (how === 'kill') child.kill('SIGKILL');
    else {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      await c.connect();
      await c.call('SHUTDOWN').catch(() => undefined);
      c.disconnect();
    }
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('kill');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface RedisRestartOptions {
  seed: string;
  count: number;
  log?: (line: string) => void;
}

export async function runRedisRestart(o: RedisRestartOptions): Promise<SectionResult> {
  const result = emptyResult('redis');
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const figures: Record<string, unknown> = {};
  let trials = 0;
  for (const how of ['shutdown', 'kill'] as const) {
    trials++;
    const t0 = Date.now();
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const world = await createWorld({
      name: `redis-${how}`,
      seed: `${o.seed}-redis-${how}`,
      count: o.count,
      redisUrl: redis.url,
      extra: { pull: { pageSize: 50, parseThreads: 1, delivery: 'queued' } },
    });
    world.local.sim.faults.add({ kind: 'latency', method: 'PUT', minMs: 5, maxMs: 20 });
    let daemon: ChildDaemon | undefined;
    let restartsOfDaemon = 0;
    try {
      await world.sne.writeDispatchFile({ dir: world.dirs.drop, all: true, perFile: Math.ceil(o.count / 3) });
      daemon = spawnDaemon(world.configPath, world.logPath);
      const { runId, jobId } = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
      const stopAt = Math.floor(o.count / 3);
      await waitUntil(async () => world.local.sim.store.stats().writes >= stopAt, 120_000, `${stopAt} writes`, 20);
      const writesAtStop = world.local.sim.store.stats().writes;
      await redis.stop(how);
      const downFor = 2_000;
      await sleep(downFor);
      const writesWhileDown = world.local.sim.store.stats().writes - writesAtStop;
      await redis.start();
      // A supervisor (systemd, Docker) restarts a daemon that exits; count it if that was needed.
      const supervise = async (): Promise<void> => {
        while (daemon && (await Promise.race([daemon.exited.then(() => true), sleep(500).then(() => false)]))) {
          restartsOfDaemon++;
          daemon = spawnDaemon(world.configPath, world.logPath);
        }
      };
      let finished = false;
      const watching = (async () => {
        while (!finished) await supervise();
      })();
      const run = await waitForQuiescence(world, jobId, runId, 180_000).finally(() => {
        finished = true;
      });
      await watching;
      const end = await comparePullEndState(world);
      result.lost += end.lost;
      result.duplicates += end.duplicates;
      result.checks.push({
        name: `Redis ${how === 'shutdown' ? 'stopped (SHUTDOWN)' : 'killed (SIGKILL)'} and restarted mid-sync: run finished, nothing lost, nothing twice`,
        ok: run.job === 'completed' && run.run === 'finished' && end.lost === 0 && end.duplicates === 0,
        detail: `job ${run.job}, run ${run.run}, ${end.writes}/${end.expected} written, lost ${end.lost}, duplicates ${end.duplicates}`,
      });
      result.checks.push({
        name: `the daemon stayed up through the Redis ${how} (reconnected by itself)`,
        ok: restartsOfDaemon === 0,
        detail: restartsOfDaemon === 0 ? 'no restart needed' : `exited ${restartsOfDaemon} time(s)`,
      });
      figures[how] = { writesAtStop, writesWhileDown, downMs: downFor, daemonRestarts: restartsOfDaemon, durationMs: Date.now() - t0 };
      log(`  Redis ${how} at ${writesAtStop} writes, down ${secs(downFor)}: job ${run.job}, run ${run.run}, lost ${end.lost}, duplicates ${end.duplicates} (${secs(Date.now() - t0)})`);
    } catch (e) {
      const end = await comparePullEndState(world).catch(() => undefined);
      result.lost += end ? end.lost : o.count;
      result.checks.push({ name: `Redis ${how} mid-sync`, ok: false, detail: e instanceof Error ? e.message : String(e) });
      log(`  Redis ${how}: FAILED ${e instanceof Error ? e.message : String(e)}\n${world.log().slice(-2000)}`);
    } finally {
      await daemon?.kill('SIGKILL');
      await world.close();
      await redis.destroy();
    }
  }
  result.trials = trials;
  result.figures = figures;
  result.durationMs = Date.now() - started;
  return result;
}
