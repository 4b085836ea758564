/**
 * Alerts once per state change (design.md §5), in the gateway: the circuit to the SNE opens after
 * repeated failures and closes again, through a failed probe and many evaluations of the rules by two
 * gateway processes sharing one Redis; the webhook hears exactly two things, the opening and the closing.
 */
import { createInterfaceNuuCodec, loadElementTable } from '../../src/codec';
import type { AlertNotification } from '../../src/alerts';
import { Gateway } from '../../src/daemon/gateway';
import type { Readiness } from '../../src/server';
import { createSystems } from '../../src/systems';
import { quietLogger, startTestLocal, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { webhookReceiver, webSection, type Receiver } from './support';

jest.setTimeout(30_000);

const t = useTestRedis('ops-alerts');
const OPEN_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit alerts', () => {
  let dirs: TestDirs;
  let local: Awaited<ReturnType<typeof startTestLocal>>;
  let hook: Receiver<AlertNotification>;
  const gateways: Gateway[] = [];
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    dirs = testDirs('ops-alerts');
    local = await startTestLocal();
    hook = await webhookReceiver<AlertNotification>();
    const config = testConfig({
      dirs,
      prefix,
      localUrl: local.sim.url,
      extra: {
        web: await webSection(),
        alerts: { webhookUrl: hook.url, deadLettersThreshold: 1, noSuccessfulPullMinutes: 60 },
        queues: {
          backoff: { baseMs: 50, maxMs: 500 },
          attempts: 5,
          shutdownDeadlineMs: 5000,
          circuit: { failureThreshold: 3, openMs: OPEN_MS },
        },
      },
    });
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    // Two schedulers on one Redis, each evaluating the rules every 50 ms; the first also serves the web.
    for (const roles of [['scheduler', 'worker', 'web'], ['scheduler']] as const) {
      const logger = quietLogger().logger;
      const g = new Gateway({
        config,
        logger,
        local: local.client,
        systems: createSystems({ config, codec, logger }),
        roles,
        operations: { alertIntervalMs: 50 },
      });
      gateways.push(g);
      await g.start();
    }
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await hook?.close();
    await local?.sim.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
  });

  const circuitCheck = async (): Promise<Readiness['checks'][number] | undefined> => {
    const res = await fetch(`${gateways[0]!.webUrl}/readyz`);
    return ((await res.json()) as Readiness).checks.find((c) => c.name === 'circuit:sne');
  };

  it('posts one alert when the circuit opens and one when it closes, whatever happens in between', async () => {
    const [g] = gateways;
    const circuit = g!.circuit;
    expect(g!.systemIds).toEqual(['sne']);

    await circuit.failure('sne');
    await circuit.failure('sne');
    await sleep(200);
    expect(hook.received).toEqual([]);

    // Third failure in a row: open. More failures while open change nothing.
    await circuit.failure('sne');
    await circuit.failure('sne');
    await expect(circuit.check('sne')).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(await circuitCheck()).toMatchObject({ ok: false, detail: 'open' });
    await sleep(200);

    // The probe after `openMs` fails: open again (still one alert).
    await sleep(OPEN_MS);
    await circuit.check('sne');
    expect(await circuit.state('sne')).toBe('half-open');
    await circuit.failure('sne');
    expect(await circuit.state('sne')).toBe('open');
    await sleep(200);

    // The next probe succeeds: closed.
    await sleep(OPEN_MS);
    await circuit.check('sne');
    await circuit.success('sne');
    expect(await circuit.state('sne')).toBe('closed');
    expect(await circuitCheck()).toMatchObject({ ok: true, detail: 'closed' });
    // Many evaluations later, by both processes:
    await sleep(500);

    expect(hook.received.map((n) => [n.alert, n.state])).toEqual([
      ['circuit:sne', 'alert'],
      ['circuit:sne', 'ok'],
    ]);
    expect(hook.received[0]!.detail).toMatch(/circuit to sne/);
  });
});
