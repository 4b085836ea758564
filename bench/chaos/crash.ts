/**
 * Crash trials (design.md §3.1-§3.3): a full sync of a seeded SNE stock through dispatch files and a
 * stream of pushes (label events the local tool records, sent to the SNE simulator), with the daemon
 * killed by SIGKILL at seeded random moments (inside the k-th applied write of the local tool or of the
 * SNE, before its answer leaves; or a random time after a start, including while it starts), then started
 * again. After the last restart the pull must finish with every demand in the local tool field for field,
 * written once; every event must have one applied SNE write, in its demand's order, and one `delivered`
 * acknowledgement. Records lost and duplicate effects are counted: both must be 0.
 */
import { Queue } from 'bullmq';
import { pushJobId, pushQueueName } from '../../src/push';
import { comparePullEndState, createWorld, hookLocalWrites, emptyResult, percentile, rngFor, secs, sleep, spawnDaemon, waitForQuiescence, waitUntil, type ChildDaemon, type SectionResult, type World } from './support';

/** One push trial's end state: the SNE simulator's applied writes and the local tool's acknowledgements. */
export interface PushEndState {
  events: number;
  /**
   * Events neither acknowledged (delivered or rejected) nor parked as a dead letter: the local tool never
   * learns what became of them, and nobody is asked to look.
   */
  lost: number;
  /** Of which: applied at the SNE all the same (the acknowledgement is what was lost). */
  appliedUnacknowledged: number;
  /** Events parked as dead letters (with their input, for an operator). */
  parked: number;
  /** Applied writes beyond one per event, and `delivered` acknowledgements beyond one per event. */
  duplicates: number;
  /** Of which: applied SNE writes beyond one per event. */
  duplicateWrites: number;
  /** Of which: `delivered` acknowledgements beyond one per event. */
  duplicateAcks: number;
  /** Demands whose writes reached the SNE out of their events' order. */
  outOfOrder: number;
  /** Resubmissions the simulator recognised by their content and did not apply. */
  resubmissions: number;
}

/**
 * A stream of label events on demands the local tool already holds: each becomes one MOD write at the
 * SNE simulator carrying the event's `emetteur`, acknowledged `delivered` to the local tool.
 */
export class PushStream {
  readonly events: Array<{ id: string; numUnique: string; emetteur: string }> = [];
  /** Applied SNE writes, in order: demand and the emetteur of its last label. */
  readonly applied: Array<{ numUnique: string; emetteur: string | undefined }> = [];
  private timer: NodeJS.Timeout | undefined;
  private listener: (() => void) | undefined;

  constructor(private readonly world: World, private readonly numUniques: string[], private readonly total: number, private readonly tag: string) {
    const store = world.sne.store;
    const put = store.put.bind(store);
    store.put = (...args: Parameters<typeof put>) => {
      const r = put(...args);
      if (args[1]) {
        this.applied.push({ numUnique: r.numUnique, emetteur: r.demande.labels.at(-1)?.emetteur });
        this.listener?.();
      }
      return r;
    };
  }

  /** Called (synchronously, inside the simulator's handler) after each applied write. */
  onApplied(listener: () => void): void {
    this.listener = listener;
  }

  /** Adds `perTick` events every `everyMs` until `total`. */
  start(perTick = 4, everyMs = 150): void {
    const tick = () => {
      for (let k = 0; k < perTick && this.events.length < this.total; k++) this.add();
      if (this.events.length >= this.total && this.timer) clearInterval(this.timer);
    };
    tick();
    this.timer = setInterval(tick, everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private add(): void {
    const i = this.events.length;
    const numUnique = this.numUniques[(i * 7) % this.numUniques.length] as string;
    const emetteur = `${this.tag}-${String(i).padStart(4, '0')}`;
    const { evenement } = this.world.local.sim.store.addEvenement({
      id: `${this.tag}-evt-${i}`,
      numUnique,
      type: 'label',
      occurredAt: new Date(Date.UTC(2024, 2, 1) + i * 60_000).toISOString(),
      payload: { source: 'DALO', date: '2024-03-01', emetteur },
    });
    this.events.push({ id: evenement.id, numUnique, emetteur });
  }

  /** The events not settled yet, with their acknowledgements and push job state (ids and states only). */
  async stuck(): Promise<string[]> {
    const parked = await this.parkedIds();
    const queue = new Queue(pushQueueName('sne'), { connection: this.world.trigger.bullRedis, prefix: this.world.trigger.keys.bull });
    const out: string[] = [];
    try {
      for (const e of this.events) {
        const acks = (this.world.local.sim.store.listAcquittements(e.id) ?? []).map((a) => a.status);
        if (parked.has(e.id) || acks.includes('delivered') || acks.includes('rejected')) continue;
        const job = await queue.getJob(pushJobId('sne', e.id));
        const state = job ? await job.getState() : 'no job';
        const writes = this.applied.filter((w) => w.emetteur === e.emetteur).length;
        out.push(`${e.id} (demand #${this.numUniques.indexOf(e.numUnique)}): acks [${acks.join(',')}], job ${state}${job?.failedReason ? ` (${job.failedReason.slice(0, 120)})` : ''}, SNE writes ${writes}`);
      }
    } finally {
      await queue.close();
    }
    return out;
  }

  /** True once every event is acknowledged delivered or rejected, or parked. */
  async settled(): Promise<boolean> {
    if (this.events.length < this.total) return false;
    const parked = await this.parkedIds();
    return this.events.every((e) => parked.has(e.id) || (this.world.local.sim.store.listAcquittements(e.id) ?? []).some((a) => a.status === 'delivered' || a.status === 'rejected'));
  }

  private async parkedIds(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const d of await this.world.trigger.deadLetters.search({ status: 'open', limit: 1000 })) {
      for (const e of this.events) if (d.origin.includes(e.id)) out.add(e.id);
    }
    return out;
  }

  async endState(): Promise<PushEndState> {
    const parked = await this.parkedIds();
    const seen = new Map<string, number>();
    for (const w of this.applied) if (w.emetteur) seen.set(w.emetteur, (seen.get(w.emetteur) ?? 0) + 1);
    let lost = 0;
    let appliedUnacknowledged = 0;
    let duplicateWrites = 0;
    let duplicateAcks = 0;
    for (const e of this.events) {
      const n = seen.get(e.emetteur) ?? 0;
      const acks = (this.world.local.sim.store.listAcquittements(e.id) ?? []).map((a) => a.status);
      if (!parked.has(e.id) && !acks.includes('delivered') && !acks.includes('rejected')) {
        lost++;
        if (n > 0) appliedUnacknowledged++;
      }
      duplicateWrites += Math.max(0, n - 1);
      duplicateAcks += Math.max(0, acks.filter((a) => a === 'delivered').length - 1);
    }
    const duplicates = duplicateWrites + duplicateAcks;
    let outOfOrder = 0;
    for (const nu of new Set(this.events.map((e) => e.numUnique))) {
      const order = this.applied.filter((w) => w.numUnique === nu && w.emetteur?.startsWith(this.tag)).map((w) => w.emetteur as string);
      if (order.some((x, k) => k > 0 && x < (order[k - 1] as string))) outOfOrder++;
    }
    return { events: this.events.length, lost, appliedUnacknowledged, parked: parked.size, duplicates, duplicateWrites, duplicateAcks, outOfOrder, resubmissions: this.world.sne.store.stats().duplicateWrites };
  }
}

export interface CrashOptions {
  seed: string;
  trials: number;
  /** Demands per trial. */
  count: number;
  /** Kills per trial: drawn in [1, maxKills]. */
  maxKills: number;
  /** Index of the first trial (to replay one trial of a seed). */
  firstTrial?: number;
  /** Push events per trial (0: pull only), on `pushDemands` demands the local tool holds already. */
  events: number;
  pushDemands: number;
  log?: (line: string) => void;
}

interface KillPlan {
  /**
   * `writes`: inside the local tool's handler of the `at`-th applied write (pull); `sneWrites`: inside the
   * SNE simulator's `at`-th applied write (push); `time`: `at` ms after the daemon (re)started.
   */
  mode: 'writes' | 'sneWrites' | 'time';
  at: number;
}

/** The kill moments of one trial, drawn from its seed. */
export function planKills(seed: string, trial: number, count: number, events: number, maxKills: number): KillPlan[] {
  const rng = rngFor(seed, 'crash-kills', trial);
  const kills = rng.int(1, maxKills);
  const plan: KillPlan[] = [];
  const floor = { writes: 0, sneWrites: 0 };
  for (let k = 0; k < kills; k++) {
    const draw = rng.next();
    if (draw < 0.35 && floor.writes < count - 1) {
      floor.writes = rng.int(floor.writes + 1, count - 1);
      plan.push({ mode: 'writes', at: floor.writes });
    } else if (draw < 0.7 && events > 1 && floor.sneWrites < events - 1) {
      floor.sneWrites = rng.int(floor.sneWrites + 1, events - 1);
      plan.push({ mode: 'sneWrites', at: floor.sneWrites });
    } else {
      plan.push({ mode: 'time', at: rng.int(0, 4_000) });
    }
  }
  return plan;
}

export async function runCrashTrials(o: CrashOptions): Promise<SectionResult> {
  const result = emptyResult('crash');
  const started = Date.now();
  const log = o.log ?? (() => undefined);
  const durations: number[] = [];
  let kills = 0;
  const phases = { beforeFirstWrite: 0, midSync: 0, afterLastWrite: 0, inSneWrite: 0 };
  let failedTrials = 0;
  const push = { events: 0, lost: 0, appliedUnacknowledged: 0, parked: 0, duplicateWrites: 0, duplicateAcks: 0, outOfOrder: 0, resubmissions: 0 };
  for (let t = o.firstTrial ?? 0; t < (o.firstTrial ?? 0) + o.trials; t++) {
    const t0 = Date.now();
    const rng = rngFor(o.seed, 'crash-trial', t);
    const delivery = rng.next() < 0.5 ? 'inline' : 'queued';
    const perFile = [o.count, Math.ceil(o.count / 2), 100][rng.int(0, 2)] ?? o.count;
    const plan = planKills(o.seed, t, o.count - o.pushDemands, o.events, o.maxKills);
    const world = await createWorld({
      name: 'crash',
      seed: `${o.seed}-crash-${t}`,
      count: o.count,
      extra: {
        pull: { pageSize: 50, parseThreads: 1, delivery },
        push: { pollMs: 200 },
        sne: { rateLimit: { max: 200, durationMs: 1_000 } },
      },
    });
    // A few milliseconds per write spread the sync over time, so that timed kills land inside it.
    world.local.sim.faults.add({ kind: 'latency', method: 'PUT', minMs: 2, maxMs: 12 });
    let daemon: ChildDaemon | undefined;
    let trialError: string | undefined;
    let stream: PushStream | undefined;
    // The pushes go to demands the local tool holds already (active ones); the pull brings the others.
    const records = [...world.sne.store.iterate()].sort((a, b) => (a.numUnique < b.numUnique ? -1 : 1));
    const pushed = records.filter((r) => r.demande.radiation === undefined).slice(0, o.pushDemands);
    const pushedSet = new Set(pushed.map((r) => r.numUnique));
    const pulled = records.filter((r) => !pushedSet.has(r.numUnique)).map((r) => r.numUnique);
    try {
      world.local.sim.store.seedDemandes(pushed.map((r) => ({ numUnique: r.numUnique, record: JSON.parse(JSON.stringify(r.demande)) as unknown })));
      await world.sne.writeDispatchFile({ dir: world.dirs.drop, numUniques: pulled, perFile });
      stream = o.events > 0 ? new PushStream(world, [...pushedSet], o.events, `T${t}`) : undefined;
      daemon = spawnDaemon(world.configPath, world.logPath);
      const { runId, jobId } = await world.trigger.triggerPull({ source: 'dispatch', trigger: 'chaos' });
      stream?.start();
      // Kills "in a write" happen inside the handler of the local tool (pull) or of the SNE (push), once
      // the write is applied and before its answer leaves: the daemon dies not knowing whether it landed.
      const applied = { writes: 0, sneWrites: 0 };
      let onApplied: (() => void) | undefined;
      hookLocalWrites(world, () => {
        applied.writes++;
        onApplied?.();
      });
      stream?.onApplied(() => {
        applied.sneWrites++;
        onApplied?.();
      });
      const over = async () => (await world.trigger.runs.get(runId))?.status !== 'running' && (!stream || (await stream.settled()));
      for (const k of plan) {
        const current: ChildDaemon = daemon;
        const spawnedAt = Date.now();
        if (k.mode === 'writes' || k.mode === 'sneWrites') {
          const mode = k.mode;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no ${mode} ${k.at} within 120 s`)), 120_000);
            const done = () => {
              onApplied = undefined;
              clearTimeout(timer);
              clearInterval(poll);
              resolve();
            };
            const fire = () => {
              if (applied[mode] < k.at) return;
              current.child.kill('SIGKILL');
              done();
            };
            // The work may end before reaching the threshold (nothing left to write after a restart).
            const poll = setInterval(() => {
              void over().then((isOver) => isOver && done(), () => undefined);
            }, 250);
            onApplied = fire;
            fire();
          });
        } else {
          await sleep(Math.max(0, k.at - (Date.now() - spawnedAt)));
        }
        if (k.mode === 'sneWrites') phases.inSneWrite++;
        else phases[applied.writes === 0 ? 'beforeFirstWrite' : applied.writes < pulled.length ? 'midSync' : 'afterLastWrite']++;
        await current.kill('SIGKILL');
        kills++;
        daemon = spawnDaemon(world.configPath, world.logPath);
      }
      const settled = await waitForQuiescence(world, jobId, runId, 180_000);
      if (settled.job !== 'completed' || settled.run !== 'finished') trialError = `job ${settled.job}, run ${settled.run}`;
      if (stream) {
        const pushing = stream;
        // Events that never settle are counted below (lost), with what became of their jobs.
        await waitUntil(() => pushing.settled(), 60_000, 'every event acknowledged or parked', 250).catch(async () => {
          const stuck = await pushing.stuck();
          trialError = `${stuck.length} event(s) never acknowledged nor parked: ${stuck.slice(0, 3).join('; ')}`;
        });
      }
      const end = await comparePullEndState(world, new Set(pulled));
      const p = stream ? await stream.endState() : undefined;
      result.lost += end.lost + (p?.lost ?? 0);
      result.duplicates += end.duplicates + (p?.duplicates ?? 0);
      if (p) {
        push.events += p.events;
        push.lost += p.lost;
        push.appliedUnacknowledged += p.appliedUnacknowledged;
        push.parked += p.parked;
        push.duplicateWrites += p.duplicateWrites;
        push.duplicateAcks += p.duplicateAcks;
        push.outOfOrder += p.outOfOrder;
        push.resubmissions += p.resubmissions;
      }
      if (end.lost || end.duplicates || trialError || p?.lost || p?.duplicates || p?.outOfOrder) failedTrials++;
      log(
        `  trial ${String(t + 1).padStart(2)}/${o.trials}: ${delivery.padEnd(7)} ${plan.map((k) => (k.mode === 'writes' ? `kill@${k.at}w` : k.mode === 'sneWrites' ? `kill@sne${k.at}` : `kill@${k.at}ms`)).join(' ')} -> ` +
          `pull ${end.writes}/${end.expected} lost ${end.lost} dup ${end.duplicates}` +
          (p ? `; push ${p.events} events lost ${p.lost} (applied, unacknowledged ${p.appliedUnacknowledged}) parked ${p.parked} dup ${p.duplicateWrites} writes ${p.duplicateAcks} acks order ${p.outOfOrder} resub ${p.resubmissions}` : '') +
          `${trialError ? `, ${trialError}` : ''} (${secs(Date.now() - t0)})`,
      );
    } catch (e) {
      failedTrials++;
      trialError = e instanceof Error ? e.message : String(e);
      // A trial that never converged counts every demand (and event) not there as lost.
      const end = await comparePullEndState(world, new Set(pulled)).catch(() => undefined);
      const p = await stream?.endState().catch(() => undefined);
      const stuck = (await stream?.stuck().catch((err: unknown) => [String(err)])) ?? [];
      if (stuck.length) log(`    ${stuck.length} event(s) not settled: ${stuck.slice(0, 5).join('; ')}`);
      result.lost += (end ? end.lost : pulled.length) + (p?.lost ?? 0);
      result.duplicates += (end?.duplicates ?? 0) + (p?.duplicates ?? 0);
      log(`  trial ${t + 1}/${o.trials}: FAILED ${trialError}\n${world.log().slice(-2000)}`);
    } finally {
      stream?.stop();
      await daemon?.kill('SIGKILL');
      await world.close();
    }
    durations.push(Date.now() - t0);
  }
  result.checks.push(await endStateControl(o.seed));
  result.trials = o.trials;
  result.checks.push({ name: 'every trial converged (pull finished, every demand there once, every event delivered once in order)', ok: failedTrials === 0, detail: `${o.trials - failedTrials}/${o.trials}` });
  result.checks.push({ name: 'records lost after SIGKILLs (pull and push)', ok: result.lost === 0, detail: String(result.lost) });
  result.checks.push({ name: 'duplicate effects after SIGKILLs (pull writes, SNE writes, delivered acknowledgements)', ok: result.duplicates === 0, detail: String(result.duplicates) });
  if (o.events > 0) {
    result.checks.push({
      name: 'pushes: every event acknowledged to the local tool or parked (none dropped)',
      ok: push.lost === 0,
      detail: `${push.lost} of ${push.events} events dropped, of which ${push.appliedUnacknowledged} applied at the SNE but never acknowledged`,
    });
    result.checks.push({
      name: 'pushes: one delivered acknowledgement per event',
      ok: push.duplicateAcks === 0,
      detail: `${push.duplicateAcks} extra delivered acknowledgement(s); extra SNE writes ${push.duplicateWrites}`,
    });
    result.checks.push({ name: 'per-demand order of the pushes at the SNE', ok: push.outOfOrder === 0, detail: `${push.outOfOrder} demands out of order` });
    result.checks.push({ name: 'pushes parked for an operator after SIGKILLs (none expected: a crash is not a failure)', ok: push.parked === 0, detail: String(push.parked) });
  }
  result.figures = {
    trials: o.trials,
    demandsPerTrial: o.count,
    eventsPerTrial: o.events,
    kills,
    killsAt: phases,
    push,
    trialP50Ms: percentile(durations, 50),
    trialMaxMs: Math.max(0, ...durations),
  };
  result.durationMs = Date.now() - started;
  return result;
}

/** Control: the end-state comparison counts a demand left out and a content written twice. */
export async function endStateControl(seed: string): Promise<{ name: string; ok: boolean; detail: string }> {
  const world = await createWorld({ name: 'crash-control', seed: `${seed}-control`, count: 10 });
  try {
    const records = [...world.sne.store.iterate()].map((r) => JSON.parse(JSON.stringify(r.demande)) as { numUnique: string });
    const store = world.local.sim.store;
    for (const r of records.slice(1)) store.putDemande(r.numUnique, r, undefined);
    const twice = records[1];
    if (twice) {
      store.putDemande(twice.numUnique, { ...twice, extra: 1 }, '*');
      store.putDemande(twice.numUnique, twice, '*');
    }
    const end = await comparePullEndState(world);
    return {
      name: 'control: the end-state check counts a demand left out and a content written twice',
      ok: end.lost === 1 && end.duplicates >= 1,
      detail: `lost ${end.lost}, duplicates ${end.duplicates}`,
    };
  } finally {
    await world.close();
  }
}
