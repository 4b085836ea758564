/**
 * A pull whose attempt fails and is retried, on real Redis and the simulators: the run fails only when
 * its job finally does; a retry that completes ends it finished, each record counted once, whatever
 * the source's cursor covered when the attempt failed.
 */
import type { Queue } from 'bullmq';
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway } from '../../src/daemon/gateway';
import { Demande } from '../../src/domain';
import { TransientError } from '../../src/errors';
import { startSneSimulator, type RunningSneSimulator } from '../../src/simulators/sne';
import type { DeliverJobData } from '../../src/sync/deliver';
import { runPull, type PullDeps, type PullSource, type SourcePage } from '../../src/sync/pull';
import { createTargetedSource } from '../../src/sync/sources/since';
import type { DemandSystem } from '../../src/systems/port';
import { generateDemandes } from '../../src/synthetic';
import { createSystems } from '../../src/systems';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';

jest.setTimeout(60_000);
const t = useTestRedis('pull-retry');
const SNE_READS = { path: '/services/*' };

describe('a pull whose attempt fails', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let sne: RunningSneSimulator;
  let gateway: Gateway;
  const logs = quietLogger();
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    dirs = testDirs('pull-retry');
    local = await startTestLocal();
    sne = await startSneSimulator({ seed: 'pull-retry', count: 12 });
    // Queued: every change settles through a delivery job, so a change counted twice would keep the
    // run running for ever.
    const config = testConfig({ dirs, prefix, localUrl: local.sim.url, sneUrl: sne.url, extra: { pull: { pageSize: 100, parseThreads: 1, delivery: 'queued' } } });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    gateway = new Gateway({ config, logger: logs.logger, local: local.client, systems: createSystems({ config, codec, logger: logs.logger }), codec, roles: ['worker'] });
    await gateway.start();
  });

  afterAll(async () => {
    await gateway.close();
    await sne.close();
    await local.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs.cleanup();
  });

  const numUniques = () => [...sne.store.iterate()].map((r) => r.numUnique);
  const jobState = (jobId: string) => gateway.queues.pull.getJob(jobId).then((j) => j?.getState());

  /** The pipeline's collaborators, for attempts run here by hand (queued delivery unless told). */
  const deps = (): PullDeps => ({
    redis: gateway.redis,
    ledger: gateway.ledger,
    runs: gateway.runs,
    cursors: gateway.cursors,
    quarantine: gateway.quarantine,
    conflicts: gateway.conflicts,
    locks: gateway.locks,
    cipher: gateway.cipher,
    deliverQueue: gateway.queues.deliver as Queue<DeliverJobData>,
    local: local.client,
    logger: logs.logger,
    delivery: 'queued',
  });

  describe('at the SNE (a targeted re-pull, as the reliability suite does)', () => {
    it('keeps its run running through a transient failure (SNE 503): the retried job completes, the run ends finished, each demand counted once, the failed attempt noted', async () => {
      const nus = numUniques();
      // Three in a row: more than one read's own tries (a single 503 is absorbed by them).
      sne.faults.add({ kind: 'error', status: 503, ...SNE_READS, count: 3 });
      const { runId, jobId } = await gateway.triggerPull({ source: 'sne:demande', numUniques: nus, trigger: 'test' });
      const run = await gateway.waitForRun(runId, { timeoutMs: 30_000 });
      expect(run.status).toBe('finished');
      expect(run.error).toBeUndefined();
      expect(run.failedAttempts).toBe(1);
      expect(run.lastError).toMatch(/^transient SNE_/);
      expect(run.counts.fetched).toBe(nus.length);
      expect(run.counts.valid + run.counts.quarantined).toBe(nus.length);
      expect(run.counts.changed).toBe(run.counts.valid);
      expect(run.counts.delivered + run.counts.conflicts + run.counts.failed).toBe(run.counts.changed);
      expect(await jobState(jobId)).toBe('completed');
      // The runs page and `passerelle runs` read the same store.
      expect((await gateway.runs.list(5)).find((r) => r.id === runId)).toMatchObject({ status: 'finished', failedAttempts: 1 });
    });

    it('ends its run failed, with the error, once the last attempt failed', async () => {
      sne.faults.add({ kind: 'error', status: 503, ...SNE_READS, count: 1_000 });
      try {
        const { runId, jobId } = await gateway.triggerPull({ source: 'sne:demande', numUniques: numUniques().slice(0, 2), trigger: 'test' });
        const run = await gateway.waitForRun(runId, { timeoutMs: 30_000 });
        expect(run.status).toBe('failed');
        expect(run.error).toMatch(/^transient SNE_/);
        expect(run.failedAttempts).toBe(gateway.retry.attempts);
        expect(run.finishedAt).toBeDefined();
        await expect(jobState(jobId)).resolves.toBe('failed');
      } finally {
        sne.faults.clear();
      }
    });
  });

  describe('after pages were committed (each attempt run here by hand, as the queue would retry it)', () => {
    /**
     * A source of `count` demands in pages of 5: `cursors: 'every'` moves the cursor with every page (as
     * dispatch files do), `'last'` with the last page only (as a "since" answer does). Its first
     * attempt fails (a transient error) when asked for its third page.
     */
    function pagedSource(id: string, count: number, cursors: 'every' | 'last') {
      const demandes = generateDemandes({ count, seed: id }).map((d) => Demande.parse(d));
      const read: number[][] = [];
      let attempts = 0;
      const source: PullSource = {
        id,
        system: id,
        async *pages(cursor) {
          const attempt = attempts++;
          const pages: number[] = [];
          read.push(pages);
          const start = cursors === 'every' && cursor !== undefined ? Number(cursor) : 0;
          for (let i = start; i < count; i += 5) {
            if (attempt === 0 && pages.length === 2) throw new TransientError('SNE_UNAVAILABLE', 'sne: unavailable (test)', { system: 'sne' });
            pages.push(i / 5);
            const end = Math.min(count, i + 5);
            const page: SourcePage = {
              records: demandes.slice(i, end).map((demande) => ({ result: { ok: true, demande, warnings: [] }, sourceAt: '2026-11-27T03:00:00.000Z' })),
              ...(cursors === 'every' || end === count ? { cursor: String(end) } : {}),
            };
            yield page;
          }
        },
      };
      return { source, read, demandes };
    }

    it.each([
      { label: 'resumes after the last page committed when the cursor moves with every page (dispatch files)', cursors: 'every', since: undefined, readAgain: [2, 3] },
      { label: 'reads every page again, their counts taken back first, when the cursor moves with the last page only (a "since" answer)', cursors: 'last', since: undefined, readAgain: [0, 1, 2, 3] },
      { label: 'resumes a pull asked `--since` a date from the cursor it moved itself', cursors: 'every', since: '2026-11-01T00:00:00.000Z', readAgain: [2, 3] },
    ] as const)(
      '$label; the retry reads pages $readAgain and the run counts each record once',
      async ({ cursors, since, readAgain }) => {
        const { source, read, demandes } = pagedSource(`test-${cursors}-${since ? 'since' : 'cursor'}`, 18, cursors);
        const request = { runId: `run.${source.id}`, trigger: 'test', ...(since ? { since } : {}) };
        const before = local.sim.store.stats();

        await expect(runPull(source, request, deps())).rejects.toMatchObject({ code: 'SNE_UNAVAILABLE' });
        const between = await gateway.runs.get(request.runId);
        expect(between).toMatchObject({ status: 'running', failedAttempts: 1, lastError: 'transient SNE_UNAVAILABLE: sne: unavailable (test)' });
        expect(between?.counts.fetched).toBe(10);

        await runPull(source, request, deps());
        expect(read).toEqual([[0, 1], readAgain]);
        const run = await gateway.waitForRun(request.runId, { timeoutMs: 20_000 });
        expect(run.status).toBe('finished');
        expect(run.counts).toEqual({ fetched: 18, valid: 18, quarantined: 0, unchanged: 0, changed: 18, delivered: 18, conflicts: 0, failed: 0 });
        const after = local.sim.store.stats();
        expect(after.writes - before.writes).toBe(18);
        expect(after.duplicateContentWrites).toBe(0);
        for (const d of demandes.slice(0, 3)) expect((await local.client.getDemande(d.numUnique!))?.record).toEqual(JSON.parse(JSON.stringify(d)));
      },
    );

    it('leaves to their delivery job, inline, the writes of a page read again whose job has not run yet, and counts them once', async () => {
      const { source, demandes } = pagedSource('test-inline-held', 18, 'last');
      const request = { runId: `run.${source.id}`, trigger: 'test' };
      const before = local.sim.store.stats();
      // The first page's batch fails: its 5 demands go to the delivery queue, which waits (paused).
      await gateway.queues.deliver.pause();
      try {
        local.sim.faults.add({ kind: 'error', status: 503, path: '/demandes/batch', count: 1 });
        await expect(runPull(source, request, { ...deps(), delivery: 'inline' })).rejects.toMatchObject({ code: 'SNE_UNAVAILABLE' });
        expect(await gateway.queues.deliver.getWaitingCount()).toBe(5);
        // Read again from the start: the first page's demands are their jobs' to write and count.
        await runPull(source, request, { ...deps(), delivery: 'inline' });
        expect(local.sim.store.stats().writes - before.writes).toBe(13);
      } finally {
        await gateway.queues.deliver.resume();
      }
      const run = await gateway.waitForRun(request.runId, { timeoutMs: 20_000 });
      expect(run.counts).toEqual({ fetched: 18, valid: 18, quarantined: 0, unchanged: 0, changed: 18, delivered: 18, conflicts: 0, failed: 0 });
      const after = local.sim.store.stats();
      expect(after.writes - before.writes).toBe(18);
      expect(after.duplicateContentWrites).toBe(0);
      for (const d of demandes.slice(0, 5)) expect((await local.client.getDemande(d.numUnique!))?.record).toEqual(JSON.parse(JSON.stringify(d)));
    });
  });
  describe('a targeted re-pull (a list of demands given to one pull)', () => {
    /** A registration system whose reads of `failing` fail `times` times (transient), then answer. */
    function system(id: string, count: number, failing: number, times: number) {
      const demandes = generateDemandes({ count, seed: id }).map((d) => Demande.parse(d));
      const reads: string[] = [];
      let failures = 0;
      const sys = {
        id,
        async getDemande(nu: string) {
          reads.push(nu);
          if (nu === demandes[failing]!.numUnique && failures < times) {
            failures++;
            throw new TransientError('SNE_TIMEOUT', 'sne: timeout (test)', { system: 'sne' });
          }
          const demande = demandes.find((d) => d.numUnique === nu)!;
          return { index: 0, ok: true as const, demande, warnings: [], anomalies: [] };
        },
      } as unknown as DemandSystem;
      return { sys, reads, demandes };
    }
    const noWait = { sleep: async () => undefined };
    it('tries a read that failed again before failing the page: two timeouts in a row cost nothing', async () => {
      const { sys, reads, demandes } = system('targeted-tries', 7, 3, 2);
      const source = createTargetedSource(sys, demandes.map((d) => d.numUnique!), { pageSize: 5, ...noWait });
      const run = await runPull(source, { runId: 'run.targeted-tries', trigger: 'test' }, { ...deps(), delivery: 'inline' });
      expect(run.failedAttempts ?? 0).toBe(0);
      expect(reads).toHaveLength(9);
      expect((await gateway.waitForRun('run.targeted-tries', { timeoutMs: 20_000 })).counts).toMatchObject({ fetched: 7, changed: 7, delivered: 7 });
    });

    it('goes on after its last committed page when an attempt fails, without moving any cursor of the source', async () => {
      const { sys, reads, demandes } = system('targeted-resume', 12, 7, 3);
      const nus = demandes.map((d) => d.numUnique!);
      const source = createTargetedSource(sys, nus, { pageSize: 5, ...noWait });
      const request = { runId: 'run.targeted-resume', trigger: 'test' };
      await expect(runPull(source, request, { ...deps(), delivery: 'inline' })).rejects.toMatchObject({ code: 'SNE_TIMEOUT' });
      await runPull(source, request, { ...deps(), delivery: 'inline' });
      // The first page (demands 0-4) was committed before the failure: the retry starts at demand 5.
      expect(reads.filter((nu) => nu === nus[0])).toHaveLength(1);
      expect(reads.filter((nu) => nu === nus[5])).toHaveLength(2);
      const run = await gateway.waitForRun(request.runId, { timeoutMs: 20_000 });
      expect(run).toMatchObject({ status: 'finished', failedAttempts: 1 });
      expect(run.counts).toEqual({ fetched: 12, valid: 12, quarantined: 0, unchanged: 0, changed: 12, delivered: 12, conflicts: 0, failed: 0 });
      expect(await gateway.cursors.get(source.id)).toBeUndefined();
    });
  });
});
