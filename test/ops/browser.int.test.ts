/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, installed by `.ci/browser`) driven by
 * playwright-core: an operator logs in, sees the queues and retries a failed delivery, which then goes
 * through; a viewer sees the failed jobs but is offered no retry, and one sent anyway is refused; without
 * credentials the dashboard answers 401. Screenshots are kept under `artifacts/ops/`.
 *
 * No Chromium is a failure, never a skip.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Gateway } from '../../src/daemon/gateway';
import type { Demande } from '../../src/domain';
import { startLocalSimulator, type RunningLocalSimulator } from '../../src/simulators/local';
import { generateDemandes } from '../../src/synthetic';
import { createLocalClient } from '../../src/systems/local';
import { waitUntil } from '../support/daemon';
import { canonicalRecordRules, quietLogger, TEST_LOCAL_TOKEN, testConfig, testDirs, type TestDirs } from '../support/gateway';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { artifactPath, OPERATOR, VIEWER, webSection, writeDispatch } from './support';

jest.setTimeout(60_000);

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const t = useTestRedis('ops-browser');

describe('the dashboard in a browser', () => {
  let dirs: TestDirs;
  let sim: RunningLocalSimulator;
  let gateway: Gateway;
  let browser: Browser;
  let demandes: Demande[];
  /** Demands the local tool refuses (422) until the test lifts the rule. */
  const refused = new Set<string>();
  let failedIds: string[] = [];
  const prefix = `${t.prefix}-gw`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install it with .ci/browser (apt-get install chromium), or set CHROMIUM_PATH`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

    dirs = testDirs('ops-browser');
    sim = await startLocalSimulator({
      token: TEST_LOCAL_TOKEN,
      dbPath: ':memory:',
      validateRecord: (record, { numUnique }) =>
        refused.has(numUnique) ? [{ path: 'numUnique', rule: 'local-refusal', message: 'refused by the local tool' }] : canonicalRecordRules(record),
    });
    const config = testConfig({
      dirs,
      prefix,
      localUrl: sim.url,
      extra: { web: await webSection(), pull: { pageSize: 100, parseThreads: 0, delivery: 'queued' } },
    });
    const local = createLocalClient({ baseUrl: sim.url, token: TEST_LOCAL_TOKEN });
    gateway = new Gateway({ config, logger: quietLogger().logger, local, systems: new Map(), roles: ['worker', 'web'] });
    await gateway.start();

    // A run in which the local tool refuses two demands: two failed deliveries.
    demandes = generateDemandes({ count: 6, seed: 'ops-browser' });
    refused.add(demandes[1]!.numUnique!);
    refused.add(demandes[4]!.numUnique!);
    writeDispatch(dirs.drop, 'DEMG0123-202611200300-000001.xml', demandes);
    const { runId } = await gateway.triggerPull({ source: 'dispatch', trigger: 'test' });
    const run = await gateway.waitForRun(runId, { timeoutMs: 30_000 });
    expect(run.counts).toMatchObject({ fetched: 6, delivered: 4, failed: 2 });
    failedIds = (await gateway.queues.deliver.getFailed()).map((j) => j.id!).sort();
    expect(failedIds).toHaveLength(2);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    await sim?.close();
    await deleteByPrefix(t.redis, prefix);
    dirs?.cleanup();
  });

  async function logIn(user: { name: string; password: string }): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${gateway.webUrl}/queues`);
    // Not logged in: the browser is sent to the login form, which brings it back afterwards.
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=username]', user.name);
    await page.fill('input[name=password]', user.password);
    await Promise.all([page.waitForURL(`${gateway.webUrl}/queues`), page.click('button[type=submit]')]);
    return page;
  }

  const stateOf = async (id: string) => (await gateway.queues.deliver.getJob(id))?.getState();

  it('answers 401 to a request for the dashboard without credentials, and shows a browser the login form', async () => {
    for (const path of ['/queues', '/queues/api/queues', '/api/runs', '/metrics']) {
      const res = await fetch(`${gateway.webUrl}${path}`, { redirect: 'manual' });
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.headers.get('www-authenticate')).toMatch(/Basic/);
    }
    // Wrong credentials fare no better.
    const wrong = await fetch(`${gateway.webUrl}/queues/api/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`${OPERATOR.name}:not-the-password`).toString('base64')}` },
    });
    expect(wrong.status).toBe(401);

    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${gateway.webUrl}/queues/queue/deliver?status=failed`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(res?.status()).toBe(200);
    await expect(page.locator('input[name=password]').count()).resolves.toBe(1);
    // The board's own API, asked by this browser context without a session: 401.
    expect((await page.request.get(`${gateway.webUrl}/queues/api/queues`)).status()).toBe(401);
    await page.screenshot({ path: artifactPath('dashboard-login.png'), fullPage: true });
    await context.close();
  });

  it('lets an operator log in, see the queues, and retry a failed delivery that then goes through', async () => {
    const page = await logIn(OPERATOR);
    const menu = page.locator('#bull-board-sidebar nav');
    // The sidebar is filled by the board's own API call: wait for it before counting.
    await menu.getByText('maintenance', { exact: true }).waitFor();
    for (const name of ['pull', 'deliver', 'maintenance']) await expect(menu.getByText(name, { exact: true }).count()).resolves.toBe(1);
    await page.screenshot({ path: artifactPath('dashboard-operator-queues.png'), fullPage: true });

    await page.goto(`${gateway.webUrl}/queues/queue/deliver?status=failed`);
    const target = failedIds[0]!;
    const card = page.locator('[class*=card-]').filter({ has: page.getByText(target, { exact: true }) });
    await card.waitFor();
    // The reason shows: a code and the rule, no data.
    await card.getByText(/permanent LOCAL_REJECTED: .*local-refusal/).waitFor();
    // Job data shows identifiers, never the record: the sealed payload is masked.
    await card.getByRole('tab', { name: 'Data' }).click();
    await expect(card.getByText('[sealed]').count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: artifactPath('dashboard-operator-failed.png'), fullPage: true });

    // The local tool's rule is fixed; the operator retries the job from the board.
    const numUnique = demandes.find((d) => target.includes(d.numUnique!))!.numUnique!;
    refused.delete(numUnique);
    const retry = card.locator('ul[class*=jobActions] button').first();
    await retry.hover();
    await page.getByText('Retry', { exact: true }).first().waitFor(); // its tooltip
    await retry.click();
    const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/deliver/${encodeURIComponent(target)}/retry`));
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect((await answered).status()).toBe(204);

    await waitUntil(async () => (await stateOf(target)) === 'completed', 15_000, 'the retried job to complete');
    expect((await gateway.queues.deliver.getJob(target))?.returnvalue).toBe('delivered');
    expect((await createLocalClient({ baseUrl: sim.url, token: TEST_LOCAL_TOKEN }).getDemande(numUnique))?.record).toEqual(
      JSON.parse(JSON.stringify(demandes.find((d) => d.numUnique === numUnique))),
    );
    await page.goto(`${gateway.webUrl}/queues/queue/deliver?status=completed`);
    await page.getByText(target, { exact: true }).waitFor();
    await page.screenshot({ path: artifactPath('dashboard-operator-retried.png'), fullPage: true });
    await page.context().close();
  });

  it('shows a viewer the failed jobs without any action, and refuses a retry the viewer sends anyway', async () => {
    const other = failedIds[1]!;
    const page = await logIn(VIEWER);
    await page.goto(`${gateway.webUrl}/queues/queue/deliver?status=failed`);
    await page.getByText(other, { exact: true }).waitFor();
    await expect(page.getByText('passerelle (read-only)').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('ul[class*=jobActions] button').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Retry all' }).count()).resolves.toBe(0);
    await page.screenshot({ path: artifactPath('dashboard-viewer-failed.png'), fullPage: true });

    // The same request the operator's board sent, from the viewer's page and session.
    const status = await page.evaluate(
      async (path) => (await fetch(path, { method: 'PUT' })).status,
      `/queues/api/queues/deliver/${encodeURIComponent(other)}/retry`,
    );
    expect(status).toBe(403);
    const all = await page.evaluate(async () => (await fetch('/queues/api/queues/deliver/retry/failed', { method: 'PUT' })).status);
    expect(all).toBe(403);
    expect(await stateOf(other)).toBe('failed');
    await page.context().close();
  });
});
