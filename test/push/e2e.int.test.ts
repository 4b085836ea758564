/**
 * The push end to end on the simulators, through the real gateway (issue 5). The world: the SNE
 * simulator's 1,000 seeded demands, copied into the local-tool simulator. 2,000 synthetic local events
 * (coherent stories of every kind) are posted to the local tool; the gateway (worker role) follows the
 * feed and sends them with the real SNE client (SOAP/MTOM on loopback).
 *
 * The expected SNE state is computed independently of the gateway: each event mapped with the same
 * tables (`translateEvenementForSne`) and applied (`applyDemandeChanges`) to what the processor sends
 * from (the local tool's stored record, or the whole record a rectification carries). The simulator
 * records every write it applies; a spy on its store keeps the demand each write left, so the order of
 * each demand's writes is checked write by write, not only the final state.
 *
 * Then, in the same world: a rectification whose answer is lost, an event posted twice (and notified
 * again, and replayed), and a demand stuck behind a parked decision while the others go on.
 */
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import { Gateway, Role } from '../../src/daemon/gateway';
import { Demande, DecisionCalKind, evenementTypes, type Evenement } from '../../src/domain';
import { applyDemandeChanges, loadMappings, prepareEvenement, translateEvenementForSne, type MappingTables } from '../../src/mapping';
import { PushCode, PushJobName, pushJobId, type PushJobData } from '../../src/push';
import { DeadLetterStatus } from '../../src/state/dead-letters';
import { canonicalJson } from '../../src/simulators/common/content-hash';
import { startSneSimulator, type RunningSneSimulator, type SneRecord } from '../../src/simulators/sne';
import { DEFAULT_TODAY, generateEvenements, IrrecevabiliteFollowUp, type SyntheticEvenement } from '../../src/synthetic';
import { createLocalClient, type Acquittement, type NewEvenement } from '../../src/systems/local';
import { sneClientFromConfig } from '../../src/systems/sne';
import { quietLogger, startTestLocal, testConfig, testDirs, TEST_LOCAL_TOKEN, type TestDirs } from '../support/gateway';
import { useTestRedis } from '../support/redis';
import { eventually } from './support';

jest.setTimeout(180_000);

const SEED = 'push-e2e';
const DEMANDES = 1000;
const EVENTS = 2000;
/** Demands in play at once in the generator: about 450 demands get events, and every kind shows. */
const CONCURRENT = 400;
/** Posting lanes: each demand's events go through one lane, in order; lanes run side by side. */
const LANES = 6;
const START = new Date(`${DEFAULT_TODAY}T08:00:00Z`);

const t = useTestRedis('push-e2e');

/** One write the SNE simulator applied, with the demand it left. */
interface AppliedWrite {
  numUnique: string;
  typeFichier: string;
  kind: string;
  blocks: string[];
  demande: string;
}

/** What one event must do at the SNE. */
interface ExpectedWrite {
  eventId: string;
  typeFichier: string;
  /** The change the simulator records for it (a reactivation is a RAD with an empty motif). */
  kind: string;
  blocks: string[];
  /** The demand the SNE holds after it (canonical JSON). */
  demande: string;
  /** What the simulator identifies a write by: file type, reactivation or not, block, demand. */
  key: string;
  /** Its content equals an earlier write of the demand: the simulator takes it for a resend. */
  resubmission?: boolean;
  /** A RADIRR radiation sent by the gateway after this (non-receivability) decision. */
  followUp?: boolean;
}

const FINAL = new Set(['delivered', 'rejected']);
/** The simulator's change kind of each file type sent. */
const KIND: Record<string, string> = { MOD: 'modify', REN: 'renew', RAD: 'radiate' };

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('the push of 2,000 local events on 1,000 demands, through the gateway, to the SNE simulator', () => {
  let dirs: TestDirs;
  let sne: RunningSneSimulator;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let gateway: Gateway;
  let mappings: MappingTables;
  let demandes: Demande[];
  let events: SyntheticEvenement[];
  let canonical: Map<string, Evenement>;
  const applied: AppliedWrite[] = [];

  /** The local tool's stored record of a demand, as the processor reads it. */
  const localRecord = (numUnique: string): Demande => {
    const stored = local.sim.store.getDemande(numUnique);
    if (!stored) throw new Error(`the local tool has no demand ${numUnique}`);
    return { ...Demande.parse(stored.record), numUnique };
  };

  /** What the SNE must do for one event, computed with the mapping alone. */
  async function expectedOf(e: Evenement): Promise<ExpectedWrite[]> {
    const tr = await translateEvenementForSne(e, mappings);
    if (!tr.ok || !tr.transmit) throw new Error(`event ${e.id} (${e.type}) is not transmitted: the generated set should all be`);
    const first = tr.changes[0];
    const base = first?.op === 'replace' ? first.demande : localRecord(e.numUnique);
    const demande = canonicalJson(applyDemandeChanges(base, tr.changes));
    const reactivation = e.type === 'reactivation';
    const out: ExpectedWrite[] = [
      {
        eventId: e.id,
        typeFichier: tr.typeFichier,
        kind: reactivation ? 'reactivate' : KIND[tr.typeFichier]!,
        // A reactivation's block is the radiation block with an empty motif: a block the codec knows.
        blocks: tr.block && !reactivation ? [tr.block.name] : [],
        demande,
        key: `${tr.typeFichier}|${reactivation}|${canonicalJson(tr.block ?? null)}|${demande}`,
        ...(tr.followUp ? { followUp: true } : {}),
      },
    ];
    if (tr.followUp) {
      // The radiation the processor builds when the follow-up falls due, mapped the same way.
      const r = tr.followUp.radiation;
      const radiation: Evenement = {
        id: `${e.id}.radirr`,
        seq: 0,
        numUnique: e.numUnique,
        type: 'radiation',
        occurredAt: new Date().toISOString(),
        payload: { motif: r.motif, sousMotif: r.sousMotif, date: r.dueDate },
      };
      const fr = await translateEvenementForSne(radiation, mappings);
      if (!fr.ok || !fr.transmit) throw new Error(`the follow-up of ${e.id} does not map`);
      const radiated = canonicalJson(applyDemandeChanges(localRecord(e.numUnique), fr.changes));
      out.push({ eventId: radiation.id, typeFichier: fr.typeFichier, kind: 'radiate', blocks: [], demande: radiated, key: `${fr.typeFichier}|false|null|${radiated}` });
    }
    return out;
  }

  const acksOf = (id: string): Acquittement[] => local.sim.store.listAcquittements(id) ?? [];
  const ownAcks = (acks: readonly Acquittement[]) => acks.filter((a) => a.code !== PushCode.radirrSent && a.code !== PushCode.radirrNotSent);
  const hasFinal = (id: string): boolean => ownAcks(acksOf(id)).some((a) => FINAL.has(a.status));
  const writesOf = (numUnique: string) => applied.filter((w) => w.numUnique === numUnique);
  const sneDemande = (numUnique: string): string => canonicalJson(sne.store.get(numUnique)!.demande);
  const queueIdle = async (): Promise<boolean> => {
    const counts = await gateway.push!.queues.get('sne')!.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).every((n) => n === 0);
  };

  beforeAll(async () => {
    dirs = testDirs('push-e2e');
    mappings = loadMappings();
    sne = await startSneSimulator({ seed: SEED, count: DEMANDES });
    demandes = [...sne.store.iterate()].map((r) => r.demande);
    local = await startTestLocal();
    expect(local.sim.store.seedDemandes(demandes.map((d) => ({ numUnique: d.numUnique!, record: d })))).toBe(DEMANDES);

    // Every write the simulator applies, with the demand it left (the store is the simulator's own;
    // the spy only looks).
    const put = sne.store.put.bind(sne.store);
    jest.spyOn(sne.store, 'put').mockImplementation((record, write, key): SneRecord => {
      const r = put(record, write, key);
      if (write) applied.push({ numUnique: r.numUnique, typeFichier: write.typeFichier, kind: write.kind, blocks: write.blocks, demande: canonicalJson(r.demande) });
      return r;
    });

    const config = testConfig({
      dirs,
      prefix: t.prefix,
      localUrl: local.sim.url,
      extra: {
        sne: { url: sne.url, guichet: 'G0123', timeoutMs: 10_000, rateLimit: { max: 500, durationMs: 1000 } },
        local: { url: local.sim.url, token: { env: 'T_LOCAL_TOKEN' }, timeoutMs: 10_000 },
        push: { targets: ['sne'], pollMs: 200 },
        queues: {
          concurrency: { push: 8 },
          backoff: { baseMs: 50, maxMs: 500 },
          attempts: 5,
          shutdownDeadlineMs: 5000,
          lockDurationMs: 15_000,
          stalledIntervalMs: 5_000,
        },
      },
    });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    gateway = new Gateway({
      config,
      logger: quietLogger().logger,
      roles: [Role.worker],
      local: createLocalClient({ baseUrl: local.sim.url, token: TEST_LOCAL_TOKEN }),
      systems: new Map([['sne', sneClientFromConfig(config.sne, { codec })]]),
      codec,
      mappings,
    });
    await gateway.start();

    events = generateEvenements({
      seed: SEED,
      demandes,
      count: EVENTS,
      concurrent: CONCURRENT,
      start: START,
      mappings,
      irrecevabiliteFollowUp: IrrecevabiliteFollowUp.gateway,
    });
    canonical = new Map();
    for (const e of events) {
      const p = prepareEvenement(e, mappings);
      if (!p.ok) throw new Error(`generated event ${e.id} does not prepare`);
      canonical.set(e.id, p.evenement);
    }
  });

  afterAll(async () => {
    await gateway?.close();
    await sne?.close();
    await local?.sim.close();
    local?.client.close();
    dirs?.cleanup();
  });

  it('covers every event type, decision kind, attribution with and without RPLS id, and radiation motif', async () => {
    expect(events).toHaveLength(EVENTS);
    const all = [...canonical.values()];
    expect(new Set(all.map((e) => e.type))).toEqual(new Set(evenementTypes));
    const decisions = all.flatMap((e) => (e.type === 'decisionCal' ? [e.payload.decision] : []));
    expect(new Set(decisions.map((d) => d.kind))).toEqual(new Set(Object.values(DecisionCalKind)));
    const attributions = all.flatMap((e) => (e.type === 'attribution' ? [e.payload.logement] : []));
    expect(attributions.filter((l) => l.rpls !== undefined).length).toBeGreaterThan(0);
    expect(attributions.filter((l) => l.rpls === undefined).length).toBeGreaterThan(0);
    // RADIRR comes from the gateway's follow-up of a non-receivability (mode `gateway`), RADATT from an
    // attribution, the others from radiation events.
    const motifs = new Set([
      ...all.flatMap((e) => (e.type === 'radiation' ? [e.payload.motif] : [])),
      ...(attributions.length ? ['RADATT'] : []),
      ...(decisions.some((d) => d.kind === 'irrecevabilite') ? ['RADIRR'] : []),
    ]);
    expect(motifs).toEqual(new Set(Object.keys(mappings.radiation.motifs)));
    expect(all.some((e) => e.type === 'reactivation')).toBe(true);
    expect(new Set(events.map((e) => e.numUnique)).size).toBeGreaterThan(300);
    // The stories are dated from DEFAULT_TODAY on: every RADIRR follow-up is already due, so the gateway
    // sends it at once instead of scheduling it for a later day.
    const today = new Date().toISOString().slice(0, 10);
    for (const e of all.filter((x) => x.type === 'decisionCal' && x.payload.decision.kind === 'irrecevabilite')) {
      const tr = await translateEvenementForSne(e, mappings);
      expect(tr.ok && tr.transmit && tr.followUp!.radiation.dueDate < today).toBe(true);
    }
  });

  it('acknowledges each event once and for all, sends each once, keeps each demand in order, and leaves the SNE in the expected state', async () => {
    // The expected writes, per demand, in the events' order.
    const expected = new Map<string, ExpectedWrite[]>();
    for (const e of events) {
      const list = expected.get(e.numUnique) ?? [];
      list.push(...(await expectedOf(canonical.get(e.id)!)));
      expected.set(e.numUnique, list);
    }
    // The simulator takes a write whose content (file type, demand, blocks) equals an earlier write of
    // the same demand for a late resend: answered as the first time, counted as a duplicate, not
    // applied. Some stories do send such contents, each from its own event: a rectification that returns
    // the demand to an earlier state (demandeElargie toggled twice, a commune added then removed), or
    // one restating what a contingent event already sent. They are predicted by that rule, one by one.
    for (const list of expected.values()) {
      const seen = new Set<string>();
      for (const w of list) {
        w.resubmission = seen.has(w.key);
        seen.add(w.key);
      }
    }
    const all = [...expected.values()].flat();
    const resubmissions = all.filter((w) => w.resubmission);
    const followUps = all.filter((w) => w.followUp).map((w) => w.eventId);

    // Posted by a few lanes at once; one demand's events all go through the same lane, in order.
    const laneOf = new Map<string, number>();
    for (const e of events) if (!laneOf.has(e.numUnique)) laneOf.set(e.numUnique, laneOf.size % LANES);
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (const e of events.filter((x) => laneOf.get(x.numUnique) === lane)) {
          const r = await local.client.postEvenement(e);
          expect(r.created).toBe(true);
        }
      }),
    );
    expect(local.sim.store.listEvenements(0, EVENTS + 1)).toHaveLength(EVENTS);

    // The cheap count first: the per-event look only once there are enough acknowledgements.
    await eventually(
      'a final acknowledgement of every event, and the follow-ups sent',
      () =>
        local.sim.store.stats().acks >= EVENTS + followUps.length &&
        events.every((e) => hasFinal(e.id)) &&
        followUps.every((id) => acksOf(id).some((a) => a.code === PushCode.radirrSent)),
      150_000,
    );
    await eventually('the push queue idle', queueIdle);

    // Acknowledgements, read through the local tool's API: `retrying` may precede the final one; a
    // non-receivability decision also gets the acknowledgement of its follow-up radiation.
    const problems: string[] = [];
    let retrying = 0;
    const rejected: string[] = [];
    await inParallel(events, 8, async (e) => {
      const acks = await local.client.listAcquittements(e.id);
      const own = ownAcks(acks);
      const statuses = own.map((a) => a.status).join(',');
      if (!/^(retrying,)*(delivered|rejected)$/.test(statuses)) problems.push(`${e.id}: acknowledgements ${statuses}`);
      if (acks.some((a) => a.target !== 'sne')) problems.push(`${e.id}: an acknowledgement without target sne`);
      retrying += own.filter((a) => a.status === 'retrying').length;
      const last = own.at(-1);
      if (last?.status === 'rejected') rejected.push(e.id);
      const w = expected.get(e.numUnique)!.find((x) => x.eventId === e.id)!;
      if (last?.status === 'delivered' && last.message !== `sent to sne as ${w.typeFichier}`) problems.push(`${e.id}: delivered with "${last.message}"`);
      const radirr = acks.filter((a) => a.code === PushCode.radirrSent);
      if (radirr.length !== (w.followUp ? 1 : 0) || radirr.some((a) => a.status !== 'delivered')) problems.push(`${e.id}: ${radirr.length} follow-up acknowledgement(s)`);
    });
    expect(problems.slice(0, 10)).toEqual([]);
    // Nothing failed on the way: no refusal by the simulator (coherent stories on the simulator's own
    // demands), no transient failure, no lost answer, no dead letter.
    expect(rejected).toEqual([]);
    expect(retrying).toBe(0);
    expect(await gateway.deadLetters.search({ limit: 10 })).toEqual([]);

    // Each event (and follow-up) sent exactly once, never read back; only the predicted contents taken
    // for resends, everything else applied.
    const stats = sne.stats();
    expect(stats.requests.getNumUnique).toBe(all.length);
    expect(stats.requests.getDemandeLogement ?? 0).toBe(0);
    expect(stats.refusedWrites).toBe(0);
    expect(stats.duplicateWrites).toBe(resubmissions.length);
    expect(stats.duplicatesByType).toEqual(countBy(resubmissions.map((w) => w.typeFichier)));
    expect(stats.writes).toBe(all.length - resubmissions.length);
    expect(applied).toHaveLength(stats.writes);
    expect(sne.store.writes()).toHaveLength(stats.writes);

    // Per demand: the applied writes in the events' order, each leaving the expected demand.
    const disorder: string[] = [];
    for (const [nu, list] of expected) {
      const want = list.filter((w) => !w.resubmission);
      const got = writesOf(nu);
      const log = sne.store.writes(nu);
      want.forEach((w, i) => {
        const g = got[i];
        if (!g || g.typeFichier !== w.typeFichier || g.kind !== w.kind || g.demande !== w.demande) {
          disorder.push(`${nu} write ${i} (${w.eventId}): ${g ? `${g.typeFichier} ${g.kind}, other content` : 'missing'}`);
        }
        else if (JSON.stringify(log[i]?.blocks) !== JSON.stringify(w.blocks)) disorder.push(`${nu} write ${i} (${w.eventId}): blocks ${JSON.stringify(log[i]?.blocks)}`);
      });
      if (got.length !== want.length) disorder.push(`${nu}: ${got.length} writes for ${want.length} expected`);
    }
    expect(disorder.slice(0, 10)).toEqual([]);

    // The final state of every demand of the world: its last applied write, or untouched.
    const wrong: string[] = [];
    for (const d of demandes) {
      const nu = d.numUnique!;
      const last = expected.get(nu)?.filter((w) => !w.resubmission).at(-1);
      if (sneDemande(nu) !== (last?.demande ?? canonicalJson(localRecord(nu)))) wrong.push(nu);
      if (!last && sne.store.writes(nu).length) wrong.push(`${nu} (written without an event)`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    // The push never writes to the local tool.
    expect(local.sim.store.stats().writes).toBe(0);
  });

  describe('then, in the same world', () => {
    const touched = () => new Set(events.map((e) => e.numUnique));
    /** Active demands no event touched yet. */
    const fresh = (n: number): string[] =>
      demandes
        .filter((d) => d.radiation === undefined && !touched().has(d.numUnique!))
        .slice(n, n + 1)
        .map((d) => d.numUnique!);
    const template = (type: Evenement['type'], match: (e: Evenement) => boolean = () => true): SyntheticEvenement =>
      events.find((e) => canonical.get(e.id)!.type === type && match(canonical.get(e.id)!))!;
    const now = () => new Date().toISOString();

    it('writes a rectification once when its answer is lost: the demand read back shows it', async () => {
      const [nu] = fresh(0);
      const record = localRecord(nu!);
      const e: NewEvenement = {
        id: 'evt-e2e-lost-answer',
        numUnique: nu!,
        type: 'rectification',
        occurredAt: now(),
        payload: { demande: { ...record, logementRecherche: { ...record.logementRecherche, demandeElargie: !record.logementRecherche.demandeElargie } } },
      };
      const p = prepareEvenement({ ...e, seq: 0 }, mappings);
      if (!p.ok) throw new Error('the rectification does not prepare');
      const [want] = await expectedOf(p.evenement);
      const before = sne.stats();
      sne.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', count: 1, holdMs: 50 });
      await local.client.postEvenement(e);
      await eventually('delivered', () => hasFinal(e.id!));
      const acks = await local.client.listAcquittements(e.id!);
      expect(acks.map((a) => a.status)).toEqual(['delivered']);
      expect(acks[0]!.message).toBe('sent to sne as MOD (confirmed by reading the demand back)');
      // One write sent, one read of the demand, and no second write.
      const after = sne.stats();
      expect(after.requests.getNumUnique! - before.requests.getNumUnique!).toBe(1);
      expect((after.requests.getDemandeLogement ?? 0) - (before.requests.getDemandeLogement ?? 0)).toBe(1);
      expect(after.writes - before.writes).toBe(1);
      expect(after.duplicateWrites).toBe(before.duplicateWrites);
      expect(writesOf(nu!).map((w) => w.demande)).toEqual([want!.demande]);
      expect(sneDemande(nu!)).toBe(want!.demande);
    });

    it('has one effect for an event posted twice, notified again through the endpoint path, and replayed', async () => {
      const [nu] = fresh(1);
      const label = template('label');
      const e: NewEvenement = { id: 'evt-e2e-twice', numUnique: nu!, type: label.type, occurredAt: now(), payload: label.payload };
      const first = await local.client.postEvenement(e);
      const second = await local.client.postEvenement(e);
      expect(first.created).toBe(true);
      expect(second).toMatchObject({ created: false, evenement: { seq: first.evenement.seq } });
      await eventually('delivered', () => hasFinal(e.id!));
      const before = sne.stats();

      // Posted once more after it was sent, notified through the HMAC path, and replayed as a job.
      expect((await local.client.postEvenement(e)).created).toBe(false);
      const raw = local.sim.store.getEvenement(e.id!)!;
      await gateway.push!.intake.accept([raw]);
      const queue = gateway.push!.queues.get('sne')!;
      const data: PushJobData = { target: 'sne', eventId: raw.id, numUnique: raw.numUnique, seq: raw.seq, type: raw.type, sealed: gateway.cipher.seal(raw) };
      const job = await queue.add(PushJobName.event, data, { jobId: `${pushJobId('sne', raw.id)}.replay-1` });
      await eventually('the replayed job done', async () => (await job.getState()) === 'completed');
      expect((await queue.getJob(job.id!))!.returnvalue).toBe('already-delivered');
      await eventually('the push queue idle', queueIdle);

      const [want] = await expectedOf({ ...canonical.get(label.id)!, id: e.id!, numUnique: nu! });
      expect(writesOf(nu!).map((w) => w.demande)).toEqual([want!.demande]);
      expect(sneDemande(nu!)).toBe(want!.demande);
      const after = sne.stats();
      expect(after.requests.getNumUnique).toBe(before.requests.getNumUnique);
      expect(after.writes).toBe(before.writes);
      expect(after.duplicateWrites).toBe(before.duplicateWrites);
      expect((await local.client.listAcquittements(e.id!)).map((a) => a.status)).toEqual(['delivered']);
    });

    it('holds a demand behind its parked decision, delivers the other demands meanwhile, and goes on once the operator discards it', async () => {
      const [stuck] = fresh(2);
      const [other1] = fresh(3);
      const [other2] = fresh(4);
      const decision = template('decisionCal', (x) => x.type === 'decisionCal' && x.payload.decision.kind === 'nonAttribution');
      const label = template('label');
      const before = sne.stats();
      sne.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', count: 1, holdMs: 50 });
      await local.client.postEvenement({ id: 'evt-e2e-stuck-decision', numUnique: stuck!, type: decision.type, occurredAt: now(), payload: decision.payload });
      // A decision changes nothing a read of the demand shows: parked for an operator, never resent.
      await eventually('the decision parked', () => acksOf('evt-e2e-stuck-decision').length > 0);
      expect((await local.client.listAcquittements('evt-e2e-stuck-decision')).map((a) => [a.status, a.code])).toEqual([['retrying', PushCode.ambiguous]]);
      const [dl] = await gateway.deadLetters.search({ numUnique: stuck! });
      expect(dl).toMatchObject({ code: PushCode.ambiguous, errorClass: 'ambiguous', system: 'sne', status: DeadLetterStatus.open });
      const parked = sne.stats();
      expect(parked.requests.getNumUnique! - before.requests.getNumUnique!).toBe(1);
      expect(parked.requests.getDemandeLogement ?? 0).toBe(before.requests.getDemandeLogement ?? 0);
      expect(parked.writes - before.writes).toBe(1);

      const later = { id: 'evt-e2e-stuck-label', numUnique: stuck!, type: label.type, occurredAt: now(), payload: label.payload };
      await local.client.postEvenement(later);
      for (const [i, nu] of [other1!, other2!].entries()) {
        await local.client.postEvenement({ id: `evt-e2e-other-${i}`, numUnique: nu, type: label.type, occurredAt: now(), payload: label.payload });
      }
      await eventually('the other demands delivered', () => hasFinal('evt-e2e-other-0') && hasFinal('evt-e2e-other-1'));
      expect(writesOf(other1!)).toHaveLength(1);
      expect(writesOf(other2!)).toHaveLength(1);
      // Meanwhile the stuck demand's later event waits: neither sent nor acknowledged.
      expect(acksOf(later.id)).toEqual([]);
      expect(writesOf(stuck!)).toHaveLength(1);

      // The operator checked the demand at the SNE and discards the decision: the label goes.
      await gateway.deadLetters.close(dl!.id, DeadLetterStatus.discarded, 'test-operator');
      await eventually('the held label delivered', () => hasFinal(later.id), 60_000);
      const [want] = await expectedOf({ ...canonical.get(label.id)!, id: later.id, numUnique: stuck! });
      expect(writesOf(stuck!).map((w) => w.typeFichier)).toEqual(['MOD', 'MOD']);
      expect(writesOf(stuck!)[1]!.demande).toBe(want!.demande);
      expect((await local.client.listAcquittements(later.id)).map((a) => a.status)).toEqual(['delivered']);
      const after = sne.stats();
      expect(after.requests.getNumUnique! - before.requests.getNumUnique!).toBe(4);
      expect(after.duplicateWrites).toBe(before.duplicateWrites);
    });
  });
});
