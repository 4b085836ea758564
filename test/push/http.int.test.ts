import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventIntakeRouter, pushJobId, redisReplayGuard, pushKeys, signEvents } from '../../src/push';
import { activeDemandes, ackStatuses, eventually, labelEvent, startHarness, type Harness } from './support';

const SECRET = 'test-events-hmac-secret-0123456789abcdef';
const NOW = new Date('2026-03-02T10:00:00Z');
const ts = (d: Date = NOW) => Math.floor(d.getTime() / 1000);

describe('the HMAC-signed event endpoint', () => {
  let h: Harness;
  let server: Server;
  let url: string;
  const demandes = activeDemandes(2, 'push-http');
  const nu = (i: number) => demandes[i]!.numUnique!;

  beforeAll(async () => {
    h = await startHarness({ name: 'http' });
    h.seed(demandes);
    h.pipeline.start({ intakeLoop: false });
    const app = express();
    app.use(
      '/api/evenements',
      createEventIntakeRouter({
        hmacSecret: SECRET,
        toleranceSeconds: 300,
        now: () => NOW,
        accept: (events) => h.pipeline.intake.accept(events),
        replayGuard: redisReplayGuard(h.redis, pushKeys(h.keys)),
        limit: '4kb',
      }),
    );
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evenements`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await h.close();
  });

  async function send(body: string, headers: Record<string, string>) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, text: await res.text() };
  }

  const signed = (body: string, at = ts()) => ({ 'x-passerelle-timestamp': String(at), 'x-passerelle-signature': signEvents(SECRET, at, body) });

  /** An event as the feed gives it (with its seq), recorded in the local tool first. */
  async function recorded(n: number, i = 0) {
    const [p] = await h.post([labelEvent(nu(i), n)]);
    return (await h.client.listEvenements({ after: p!.seq - 1, limit: 1 })).items[0]!;
  }

  it('accepts a signed event with 202 once its job is stored, and the event is delivered', async () => {
    const ev = await recorded(1);
    const body = JSON.stringify(ev);
    const r = await send(body, signed(body));
    expect(r.status).toBe(202);
    expect(JSON.parse(r.text)).toEqual({ accepted: 1 });
    expect(await h.pipeline.queues.get('sne')!.getJob(pushJobId('sne', ev.id))).toBeDefined();
    await eventually('delivered', async () => (await ackStatuses(h, ev.id)).includes('delivered'));
    expect(h.fake.writesOf(nu(0))).toHaveLength(1);
  });

  it('refuses the same signed request a second time (replay) with 401', async () => {
    const ev = await recorded(2);
    const body = JSON.stringify({ events: [ev] });
    const headers = signed(body);
    expect((await send(body, headers)).status).toBe(202);
    const again = await send(body, headers);
    expect(again.status).toBe(401);
    expect(again.text).toContain('already received');
  });

  it('refuses with 401 a missing or wrong signature and a timestamp outside the tolerance, storing nothing', async () => {
    const ev = await recorded(3, 1);
    const body = JSON.stringify(ev);
    const cases: Array<Record<string, string>> = [
      {},
      { 'x-passerelle-timestamp': String(ts()) },
      { 'x-passerelle-timestamp': String(ts()), 'x-passerelle-signature': signEvents('another-secret-of-32-characters-at-least', ts(), body) },
      { 'x-passerelle-timestamp': String(ts()), 'x-passerelle-signature': signEvents(SECRET, ts(), `${body} `) },
      signed(body, ts(new Date(NOW.getTime() - 301_000))),
      signed(body, ts(new Date(NOW.getTime() + 301_000))),
    ];
    for (const headers of cases) expect((await send(body, headers)).status).toBe(401);
    expect(await h.pipeline.queues.get('sne')!.getJob(pushJobId('sne', ev.id))).toBeUndefined();
    expect(await h.pipeline.state.pendingOf('sne', nu(1))).toEqual([]);
  });

  it('answers 422 with every field error of every event, quoting no value, and stores nothing', async () => {
    const good = await recorded(4, 1);
    const bad1 = { ...good, id: 'evt-http-bad-1', payload: { source: 'DALO', date: '2024-02-30', emetteur: 'x'.repeat(81) } };
    const bad2 = { id: 'evt-http-bad-2', numUnique: 'Zorglub secret!', type: 'decisionCal', occurredAt: 'yesterday', payload: { dateCommission: '2024-02-20', logement: { bailleurSiren: '999999001' }, decision: { kind: 'attributionRang', rang: -3 } } };
    const body = JSON.stringify({ events: [good, bad1, bad2] });
    const r = await send(body, signed(body));
    expect(r.status).toBe(422);
    const { errors } = JSON.parse(r.text) as { errors: Array<{ path: string; rule: string; message: string }> };
    const paths = errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'events[1].payload.date',
        'events[1].payload.emetteur',
        'events[2].seq',
        'events[2].numUnique',
        'events[2].occurredAt',
        'events[2].payload.decision.rang',
        'events[2].payload.logement',
      ]),
    );
    expect(paths.some((p) => p.startsWith('events[0]'))).toBe(false);
    for (const e of errors) expect(Object.keys(e).sort()).toEqual(['message', 'path', 'rule']);
    expect(r.text).not.toContain('Zorglub');
    expect(r.text).not.toContain('yesterday');
    expect(r.text).not.toContain('xxxxxxxx');
    // Nothing of the body was stored, not even its valid event.
    expect(await h.pipeline.queues.get('sne')!.getJob(pushJobId('sne', good.id))).toBeUndefined();
  });

  it('gives the paths of a single-event body without the events prefix', async () => {
    const ev = await recorded(5, 1);
    const { seq: _seq, ...withoutSeq } = ev;
    const body = JSON.stringify({ ...withoutSeq, payload: { source: 'DALO' } });
    const r = await send(body, signed(body));
    expect(r.status).toBe(422);
    const paths = (JSON.parse(r.text) as { errors: Array<{ path: string }> }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['payload.date', 'seq']);
  });

  it('answers 400 to a body that is not JSON and 413 to one over the limit', async () => {
    const notJson = '{"events": [';
    expect((await send(notJson, signed(notJson))).status).toBe(400);
    const big = JSON.stringify({ events: [], padding: 'p'.repeat(5_000) });
    expect((await send(big, signed(big))).status).toBe(413);
  });
});
