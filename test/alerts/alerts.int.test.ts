/**
 * Alerts against a local webhook receiver: once per state change, once on resolution, shared between
 * two processes through Redis, retried after a webhook failure; and the rules that feed them (circuit,
 * dead letters, pulls, workers) on real stores.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertRules, createAlerter, type AlertNotification } from '../../src/alerts';
import { captureLogs } from '../../src/logging';
import { Circuit } from '../../src/queue/circuit';
import { DeadLetterStore } from '../../src/state/dead-letters';
import { useTestRedis } from '../support/redis';

const t = useTestRedis('alerts');

/** A webhook receiver on loopback: records what it accepts, answers `status` (a test may change it). */
interface Receiver {
  url: string;
  received: AlertNotification[];
  attempts: number;
  status: number;
  close(): Promise<void>;
}

async function receiver(path = '/hook/s3cr3t-in-path'): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], attempts: 0, status: 204, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.attempts++;
      if (r.status < 300 && req.method === 'POST' && req.url === path) {
        r.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertNotification);
      }
      res.statusCode = r.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

let hook: Receiver;
beforeEach(async () => {
  hook = await receiver();
});
afterEach(async () => {
  await hook.close();
});

describe('the alerter', () => {
  it('notifies once when a key turns to alert, never again while it stays so, and once on resolution', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ logger: logs.logger, webhookUrl: hook.url, now: () => new Date('2026-03-01T10:00:00.000Z') });
    expect(await alerter.set('circuit:sne', 'alert', 'circuit to sne opened')).toBe(true);
    expect(await alerter.set('circuit:sne', 'alert', 'circuit to sne opened')).toBe(false);
    expect(await alerter.set('circuit:sne', 'alert', 'still open')).toBe(false);
    expect(hook.received).toEqual([{ alert: 'circuit:sne', state: 'alert', since: '2026-03-01T10:00:00.000Z', detail: 'circuit to sne opened' }]);
    expect(await alerter.set('circuit:sne', 'ok', 'circuit to sne closed')).toBe(true);
    expect(await alerter.set('circuit:sne', 'ok')).toBe(false);
    expect(hook.received.map((n) => n.state)).toEqual(['alert', 'ok']);
    const lines = (await logs.entries()).filter((e) => String(e.message).startsWith('alert '));
    expect(lines.map((e) => [e.level, e.message])).toEqual([
      ['warn', 'alert raised: circuit:sne (circuit to sne opened)'],
      ['info', 'alert resolved: circuit:sne (circuit to sne closed)'],
    ]);
  });

  it('stays silent on the first ok of a key it never saw', async () => {
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    expect(await alerter.set('worker:deliver', 'ok', 'alive')).toBe(false);
    expect(hook.attempts).toBe(0);
  });

  it('alerts once between two processes sharing Redis, and either one can resolve', async () => {
    const shared = { redis: t.redis, redisKey: t.keys.alerts, webhookUrl: hook.url };
    const a = createAlerter({ ...shared, logger: captureLogs().logger });
    const b = createAlerter({ ...shared, logger: captureLogs().logger });
    const raised = await Promise.all([a.set('dead-letters', 'alert', '3 open'), b.set('dead-letters', 'alert', '3 open')]);
    expect(raised.filter(Boolean)).toHaveLength(1);
    expect(await b.set('dead-letters', 'alert', '4 open')).toBe(false);
    // `a` never saw the resolution in memory; Redis tells it the state already changed.
    expect(await b.set('dead-letters', 'ok', '0 open')).toBe(true);
    expect(await a.set('dead-letters', 'ok', '0 open')).toBe(false);
    expect(hook.received.map((n) => [n.alert, n.state])).toEqual([
      ['dead-letters', 'alert'],
      ['dead-letters', 'ok'],
    ]);
    expect(await t.redis.hget(t.keys.alerts, 'dead-letters')).toMatch(/^ok /);
  });

  it('logs a webhook failure without its URL and delivers the notification at the next evaluation', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ logger: logs.logger, webhookUrl: hook.url });
    hook.status = 500;
    expect(await alerter.set('pull:sne:radiees', 'alert', 'no pull for 130 min')).toBe(true);
    expect(alerter.pendingCount()).toBe(1);
    expect(hook.received).toEqual([]);
    const failure = (await logs.entries()).find((e) => e.message === 'alert webhook failed; will retry at the next evaluation');
    expect(failure).toMatchObject({ level: 'error', err: expect.objectContaining({ code: 'ALERT_WEBHOOK_FAILED', details: expect.objectContaining({ httpStatus: 500 }) }) });
    expect(await logs.text()).not.toContain('s3cr3t-in-path');

    hook.status = 200;
    const rules = new AlertRules({ alerter, logger: logs.logger });
    await rules.evaluate();
    expect(alerter.pendingCount()).toBe(0);
    expect(hook.received).toEqual([expect.objectContaining({ alert: 'pull:sne:radiees', state: 'alert' })]);
    // Retrying did not count as a new change.
    expect(await alerter.set('pull:sne:radiees', 'alert')).toBe(false);
    expect(hook.received).toHaveLength(1);
  });

  it('keeps notifications in order when the webhook comes back', async () => {
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    hook.status = 503;
    await alerter.set('worker:push', 'alert', 'not alive');
    await alerter.set('worker:push', 'ok', 'alive');
    expect(alerter.pendingCount()).toBe(2);
    hook.status = 204;
    await alerter.retryPending();
    expect(hook.received.map((n) => n.state)).toEqual(['alert', 'ok']);
  });
});

describe('the alert rules', () => {
  it('alerts when a circuit opens and resolves when it closes, not on half-open', async () => {
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    const rules = new AlertRules({ alerter, logger: captureLogs().logger });
    let clock = 1_000_000;
    const circuit = new Circuit(t.redis, t.keys, { failureThreshold: 2, openMs: 1000, now: () => clock, onChange: rules.onCircuitChange });
    await circuit.failure('spta:35');
    await circuit.failure('spta:35'); // opens
    await circuit.failure('spta:35'); // already open: no change
    clock += 1500;
    await circuit.check('spta:35'); // half-open probe
    await circuit.success('spta:35'); // closes
    await rules.stop(); // waits for the notifications in flight
    expect(hook.received.map((n) => [n.alert, n.state])).toEqual([
      ['circuit:spta:35', 'alert'],
      ['circuit:spta:35', 'ok'],
    ]);
  });

  it('alerts when open dead letters reach the threshold, once, and resolves below it', async () => {
    const store = new DeadLetterStore(t.redis, { ...t.keys, deadLetters: `${t.prefix}:dl-rules:by-date`, deadLetterIndex: (f: string, v: string) => `${t.prefix}:dl-rules:by:${f}:${v}`, deadLetter: (id: string) => `${t.prefix}:dl-rules:item:${id}` });
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    const rules = new AlertRules({ alerter, logger: captureLogs().logger, deadLetters: { countOpen: () => store.countOpen(), threshold: 2 } });
    const entry = {
      queue: 'deliver',
      system: 'sne',
      origin: 'event:e1',
      code: 'SNE_CTRL_DEM',
      errorClass: 'permanent' as const,
      message: 'anomaly',
      attempts: 1,
      job: { name: 'deliver', data: {} },
    };
    const first = await store.add(entry);
    await rules.evaluate();
    expect(hook.received).toEqual([]);
    await store.add(entry);
    await rules.evaluate();
    await store.add(entry);
    await rules.evaluate();
    expect(hook.received).toEqual([expect.objectContaining({ alert: 'dead-letters', state: 'alert', detail: '2 open dead letter(s), threshold 2' })]);
    await store.close(first.id, 'discarded', 'olga');
    await rules.evaluate();
    expect(hook.received).toHaveLength(1); // 2 still open
    const [, second] = await store.search({ status: 'open' });
    await store.close(second!.id, 'replayed', 'olga');
    await rules.evaluate();
    expect(hook.received.map((n) => n.state)).toEqual(['alert', 'ok']);
  });

  it('alerts when a source has had no successful pull for longer than allowed, and when a worker dies', async () => {
    let now = Date.parse('2026-03-01T10:00:00.000Z');
    const lastPull = new Map<string, Date>([['sne:radiees', new Date(now)]]);
    const alive: Record<string, boolean> = { deliver: true, push: true };
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    const rules = new AlertRules({
      alerter,
      logger: captureLogs().logger,
      now: () => now,
      pulls: { sources: ['sne:radiees', 'sne:dalo'], lastSuccessfulPull: async (s) => lastPull.get(s), maxAgeMinutes: 120, perSourceMinutes: { 'sne:dalo': 30 } },
      workersAlive: async () => alive,
    });
    await rules.evaluate();
    expect(hook.received).toEqual([]);
    now += 45 * 60_000; // dalo never pulled, 45 min > 30
    alive.push = false;
    await rules.evaluate();
    expect(hook.received.map((n) => [n.alert, n.state])).toEqual([
      ['pull:sne:dalo', 'alert'],
      ['worker:push', 'alert'],
    ]);
    now += 90 * 60_000; // radiees last pulled 135 min ago
    lastPull.set('sne:dalo', new Date(now));
    alive.push = true;
    await rules.evaluate();
    await rules.evaluate();
    expect(hook.received.map((n) => [n.alert, n.state])).toEqual([
      ['pull:sne:dalo', 'alert'],
      ['worker:push', 'alert'],
      ['pull:sne:radiees', 'alert'],
      ['pull:sne:dalo', 'ok'],
      ['worker:push', 'ok'],
    ]);
  });

  it('keeps evaluating the other rules when a reading fails, and logs it', async () => {
    const logs = captureLogs();
    const alerter = createAlerter({ logger: logs.logger, webhookUrl: hook.url });
    const rules = new AlertRules({
      alerter,
      logger: logs.logger,
      deadLetters: {
        countOpen: async () => {
          throw new Error('connection lost');
        },
        threshold: 1,
      },
      workersAlive: async () => ({ deliver: false }),
    });
    await rules.evaluate();
    expect(hook.received.map((n) => n.alert)).toEqual(['worker:deliver']);
    expect(await logs.entries()).toContainEqual(expect.objectContaining({ message: 'alert rule could not be evaluated', operation: 'dead-letters' }));
  });

  it('starts and stops idempotently, evaluating once at start', async () => {
    const alerter = createAlerter({ logger: captureLogs().logger, webhookUrl: hook.url });
    const rules = new AlertRules({ alerter, logger: captureLogs().logger, intervalMs: 3_600_000, workersAlive: async () => ({ reconcile: false }) });
    rules.start();
    rules.start();
    await rules.stop();
    await rules.stop();
    expect(hook.received.map((n) => n.alert)).toEqual(['worker:reconcile']);
  });
});
