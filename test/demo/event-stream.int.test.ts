/**
 * The demo's event stream against the real local-tool simulator on loopback: what it posts is what the
 * generator gives, in order, read back from `GET /evenements`; failed posts are retried without losing
 * or repeating an event; stopping is final and idempotent.
 */
import { startEventStream, type EventStream } from '../../src/demo/event-stream';
import type { Demande } from '../../src/domain';
import { captureLogs } from '../../src/logging';
import { loadMappings } from '../../src/mapping';
import { startLocalSimulator, type RunningLocalSimulator } from '../../src/simulators/local';
import { generateDemandes, generateEvenements } from '../../src/synthetic';
import { createLocalClient, type Evenement, type LocalClient } from '../../src/systems/local';

const TOKEN = 'stream-int-token';
const SEED = 'stream-int';
const START = new Date('2025-03-14T08:00:00Z');
const mappings = loadMappings();
const demandes: Demande[] = generateDemandes({ seed: SEED, count: 300 });

/** Waits for a condition the stream reaches by itself (a generous cap, not a timing assertion). */
async function until(condition: () => boolean, capMs = 20_000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function feed(client: LocalClient): Promise<Evenement[]> {
  const out: Evenement[] = [];
  let after = 0;
  for (;;) {
    const page = await client.listEvenements({ after, limit: 500 });
    out.push(...page.items);
    if (page.items.length === 0) return out;
    after = page.nextAfter;
  }
}

const asPosted = (e: Evenement) => ({ id: e.id, numUnique: e.numUnique, type: e.type, occurredAt: e.occurredAt, payload: e.payload });

describe('the demo event stream into the local-tool simulator', () => {
  let sim: RunningLocalSimulator;
  let client: LocalClient;
  let stream: EventStream | undefined;

  beforeAll(async () => {
    sim = await startLocalSimulator({ token: TOKEN, dbPath: ':memory:', closeGraceMs: 0 });
    client = createLocalClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });
  beforeEach(() => {
    sim.store.reset();
    sim.faults.clear(1);
  });
  afterEach(async () => {
    await stream?.stop();
    stream = undefined;
  });

  it('records the generated events in their order, and the local feed gives them back as generated', async () => {
    const logs = captureLogs();
    stream = startEventStream({ local: client, demandes, ratePerSecond: 200, seed: SEED, mappings, logger: logs.logger, start: START });
    await until(() => stream!.posted() >= 80);
    await stream.stop();

    const recorded = await feed(client);
    expect(recorded).toHaveLength(stream.posted());
    expect(recorded.map(asPosted)).toEqual(generateEvenements({ seed: SEED, demandes, count: recorded.length, start: START, mappings }));
    expect(recorded.every((e, i) => i === 0 || e.seq > recorded[i - 1]!.seq)).toBe(true);
  });

  it('logs a failed post and posts the same event again at the next tick, losing and repeating nothing', async () => {
    const logs = captureLogs();
    // Three refusals, then an answer lost after the event was recorded: the resend finds it there.
    sim.faults.add({ kind: 'error', status: 503, method: 'POST', path: '/evenements', count: 3 });
    const impatient = createLocalClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 300 });
    try {
      stream = startEventStream({ local: impatient, demandes, ratePerSecond: 100, seed: SEED, mappings, logger: logs.logger, start: START });
      await until(() => stream!.posted() >= 5);
      sim.faults.add({ kind: 'timeoutAfterProcessing', method: 'POST', path: '/evenements', count: 1, holdMs: 1_000 });
      const before = stream.posted();
      await until(() => stream!.posted() >= before + 10);
      await stream.stop();
    } finally {
      impatient.close();
    }

    const recorded = await feed(client);
    expect(recorded.map((e) => e.id)).toEqual(recorded.map((_, n) => `evt-${SEED}-${n}`));
    expect(recorded).toHaveLength(stream.posted());

    const entries = await logs.entries();
    const failed = entries.filter((e) => e.level === 'warn' && String(e.message).includes('post failed'));
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]).toMatchObject({ eventId: `evt-${SEED}-0`, component: 'event-stream' });
    expect(entries.some((e) => String(e.message).includes('posting again'))).toBe(true);
    // Events are named, never quoted: no applicant's name reaches the logs.
    const text = await logs.text();
    const names = recorded.flatMap((e) => {
      const d = demandes.find((x) => x.numUnique === e.numUnique);
      return d ? [d.demandeur.nom, d.demandeur.prenom] : [];
    });
    expect(names.filter((n) => n.length > 3 && text.includes(n))).toEqual([]);
  });

  it('posts nothing more once stopped, and stopping twice is harmless', async () => {
    const logs = captureLogs();
    stream = startEventStream({ local: client, demandes, ratePerSecond: 200, seed: SEED, mappings, logger: logs.logger, start: START });
    await until(() => stream!.posted() >= 10);
    await Promise.all([stream.stop(), stream.stop()]);
    const count = stream.posted();
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.posted()).toBe(count);
    expect(await feed(client)).toHaveLength(count);
  });

  it('keeps running while the local tool is unreachable, trying the same event again and logging the outage once', async () => {
    const logs = captureLogs();
    const nowhere = createLocalClient({ baseUrl: 'http://127.0.0.1:9', token: TOKEN, timeoutMs: 200 });
    const tried: string[] = [];
    const local: Pick<LocalClient, 'postEvenement'> = {
      postEvenement: (ev) => {
        tried.push(ev.id ?? '');
        return nowhere.postEvenement(ev);
      },
    };
    try {
      stream = startEventStream({ local, demandes, ratePerSecond: 200, seed: SEED, mappings, logger: logs.logger, start: START });
      await until(() => tried.length >= 5);
      await stream.stop();
    } finally {
      nowhere.close();
    }
    expect(stream.posted()).toBe(0);
    expect(new Set(tried)).toEqual(new Set([`evt-${SEED}-0`]));
    const warns = (await logs.entries()).filter((e) => e.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ eventId: `evt-${SEED}-0`, attempts: 1, err: expect.objectContaining({ code: expect.stringMatching(/^LOCAL_/) }) });
  });

  it('refuses a rate it cannot keep before posting anything', () => {
    const logs = captureLogs();
    expect(() => startEventStream({ local: client, demandes, ratePerSecond: 0, seed: SEED, mappings, logger: logs.logger })).toThrow(RangeError);
  });
});
