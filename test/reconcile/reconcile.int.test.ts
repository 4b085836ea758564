import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  categories,
  checks,
  createReconcileProcessor,
  reportListing,
  runReconciliation,
  type Finding,
  type FindingKind,
  type ReconciliationResult,
} from '../../src/reconcile';
import { deleteByPrefix, useTestRedis } from '../support/redis';
import { quietLogger, testEnv } from '../support/gateway';
import { buildWorld, ROLE, TODAY, type World } from './world';
import { openInChromium } from './browser';

const t = useTestRedis('reconcile');

/** Runs the CLI in a child process; resolves with its exit code and output. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/passerelle.js', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const numUniques = (fs: readonly Finding[]) => fs.map((f) => f.numUnique).sort();
const byNu = (fs: readonly Finding[], nu: string) => fs.find((f) => f.numUnique === nu)!;

describe('the reconciliation of the SNE with the local tool', () => {
  let w: World;
  let first: ReconciliationResult;
  const logs = quietLogger();
  const prefix = `${t.prefix}-gw`;
  let stock: string;

  beforeAll(async () => {
    w = await buildWorld(prefix, logs.logger);
    const written = await w.sne.writeDispatchFile({ dir: w.stockDir, all: true });
    stock = join(w.stockDir, written.files[0]!.name);
    first = await runReconciliation(w.deps, { stock, today: TODAY });
  }, 120_000);

  afterAll(async () => {
    await w?.close();
    await deleteByPrefix(t.redis, prefix);
  });

  const expected = (): Record<FindingKind, string[]> => {
    const nu = w.nu;
    return {
      'missing-local': [nu(ROLE.deletedLocally), nu(ROLE.deadLetter), nu(ROLE.notPulled)],
      'missing-source': [nu(ROLE.localOnly), nu(ROLE.goneFromSource)],
      divergent: [nu(ROLE.sourceAhead), nu(ROLE.conflict)],
      'changed-locally': [nu(ROLE.changedLocally), nu(ROLE.changedLocallyPushPending)],
      'push-pending': [nu(ROLE.changedLocallyPushPending)],
      'dead-letter': [nu(ROLE.deadLetter), nu(ROLE.pushDeadLetter)],
      quarantined: [nu(ROLE.quarantined)],
      conflict: [nu(ROLE.conflict)],
      'attribution-not-reported': [nu(ROLE.attributionNotReported)],
      'attribution-incomplete': [nu(ROLE.attributionIncomplete)],
      'delai-anormalement-long': [nu(ROLE.delaiLong)],
      'renewal-due': [nu(ROLE.renewalDue)],
      'expired-not-radiated': [nu(ROLE.expired)],
      'attributed-not-housed': [nu(ROLE.notHoused1), nu(ROLE.notHoused2)],
      'retention-exceeded': [nu(ROLE.retention)],
    };
  };

  it('finds exactly the known differences of every category and every regulatory check, no more', () => {
    const r = first.report;
    const want = expected();
    for (const c of categories) expect({ [c]: numUniques(r.findings[c]) }).toEqual({ [c]: [...want[c]].sort() });
    for (const c of checks) expect({ [c]: numUniques(r.checks[c]) }).toEqual({ [c]: [...want[c]].sort() });
    for (const k of [...categories, ...checks]) expect(r.counts[k]).toBe(want[k].length);
    expect(r.source).toMatchObject({ mode: 'stock', splitter: 'fast', demandes: 21 });
    expect(r.compared.identical).toBe(r.compared.demandes - 9);
  });

  it('says why each demand differs, where it stopped, and what would fix it', () => {
    const f = first.report.findings;
    const nu = w.nu;
    expect(byNu(f['missing-local'], nu(ROLE.deletedLocally))).toMatchObject({ reason: 'deleted-locally', fix: 'repull', confirmed: true, refs: { ledgerReset: 'delete' } });
    expect(byNu(f['missing-local'], nu(ROLE.deadLetter))).toMatchObject({ reason: 'not-delivered', stoppedAt: ['dead-letter'], fix: 'replay' });
    expect(byNu(f['missing-local'], nu(ROLE.notPulled))).toMatchObject({ reason: 'not-pulled', stoppedAt: ['not-pulled'], fix: 'repull' });
    expect(byNu(f['missing-source'], nu(ROLE.localOnly))).toMatchObject({ reason: 'local-only', confirmed: true });
    expect(byNu(f['missing-source'], nu(ROLE.goneFromSource))).toMatchObject({ reason: 'gone-from-source', confirmed: true });
    expect(byNu(f.divergent, nu(ROLE.sourceAhead))).toMatchObject({
      reason: 'source-ahead',
      fields: ['logementRecherche.demandeElargie'],
      stoppedAt: ['not-pulled'],
      fix: 'repull',
      confirmed: true,
    });
    const conflict = byNu(f.divergent, nu(ROLE.conflict));
    expect(conflict).toMatchObject({ reason: 'both-changed', stoppedAt: ['conflict'] });
    expect(conflict.fix).toBeUndefined();
    expect(conflict.fields).toEqual(expect.arrayContaining(['logementRecherche.demandeElargie']));
    expect(conflict.fields!.some((p) => p.startsWith('logementRecherche.typesLogement'))).toBe(true);
    expect(byNu(f['changed-locally'], nu(ROLE.changedLocally))).toMatchObject({ reason: 'local-change', stoppedAt: ['not-pushed'], fix: 'repush', fields: ['logementRecherche.demandeElargie'] });
    const pending = byNu(f['changed-locally'], nu(ROLE.changedLocallyPushPending));
    expect(pending).toMatchObject({ stoppedAt: ['push-pending'] });
    expect(pending.fix).toBeUndefined();
    expect(byNu(f['dead-letter'], nu(ROLE.deadLetter))).toMatchObject({ reason: 'LOCAL_UNAVAILABLE', fix: 'replay', data: { errorClass: 'transient' } });
    expect(byNu(f['dead-letter'], nu(ROLE.pushDeadLetter)).fix).toBeUndefined();
    expect(byNu(f.quarantined, nu(ROLE.quarantined))).toMatchObject({ fields: ['demandeur.dateNaissance'] });
  });

  it('reports each regulatory check with its dates and the fields an attribution report misses', () => {
    const c = first.report.checks;
    expect(c['renewal-due'][0]!.data).toEqual({ dateExpiration: '2025-03-24', daysLeft: 10 });
    expect(c['expired-not-radiated'][0]!.data).toEqual({ dateExpiration: '2025-02-20', daysExpired: 22 });
    expect(c['delai-anormalement-long'][0]!.data).toMatchObject({ dateCreationDemande: '2022-06-01', monthsWaiting: 33, delaiMonths: 24 });
    expect(c['retention-exceeded'][0]!.data).toMatchObject({ dateRadiation: '2024-01-10', eraseBy: '2025-01-10' });
    expect(c['attribution-not-reported'][0]).toMatchObject({ reason: 'not-radiated', refs: { eventId: 'ev-att-6' }, data: { dateSignatureBail: '2025-01-10', daysSinceLease: 63, calDecision: true } });
    expect(c['attribution-incomplete'][0]!.fields).toEqual(expect.arrayContaining(['payload.imputation', 'payload.dalo']));
    expect(byNu(c['attributed-not-housed'], w.nu(ROLE.notHoused1)).data).toMatchObject({ rang: 2, dateCommission: '2025-03-05', housedNumUnique: w.nu(ROLE.housed) });
    expect(byNu(c['attributed-not-housed'], w.nu(ROLE.notHoused2)).data).toMatchObject({ rang: 3 });
  });

  it('writes one JSON, one CSV per category and check, and one HTML page, without personal values', () => {
    const dir = first.written!.dir;
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(json.counts).toEqual(first.report.counts);
    expect(json.findings.divergent).toHaveLength(2);
    expect(json.thresholds.exceeded.length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'csv')).sort()).toEqual([...categories, ...checks].map((k) => `${k}.csv`).sort());
    const csv = readFileSync(join(dir, 'csv', 'missing-local.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(4);
    const everything = [readFileSync(join(dir, 'report.json'), 'utf8'), readFileSync(join(dir, 'report.html'), 'utf8'), ...readdirSync(join(dir, 'csv')).map((f) => readFileSync(join(dir, 'csv', f), 'utf8'))].join('\n');
    for (const d of w.demandes) {
      expect(everything).not.toContain(d.demandeur.nom);
      expect(everything).not.toContain(d.demandeur.dateNaissance);
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    // Self-contained: no script, no stylesheet or image to fetch (the SVG namespace is a name, not a fetch).
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(|href="(?!#)/i);
    expect(html).toContain('<svg');
  });

  it('opens in a real headless Chromium without console errors, with the summary numbers on the page', async () => {
    mkdirSync('artifacts', { recursive: true });
    const page = await openInChromium(join(first.written!.dir, 'report.html'), join('artifacts', 'reconcile-report.png'));
    expect(page.errors).toEqual([]);
    for (const k of [...categories, ...checks]) expect({ [k]: page.counts[k] }).toEqual({ [k]: String(first.report.counts[k]) });
    expect(existsSync(join('artifacts', 'reconcile-report.png'))).toBe(true);
  }, 60_000);

  it('puts the differing values in the report only when asked to', async () => {
    const r = await runReconciliation(w.deps, { stock, today: TODAY, showValues: true, formats: ['json'] });
    const f = byNu(r.report.findings.divergent, w.nu(ROLE.sourceAhead));
    const d = w.demandes[ROLE.sourceAhead]!;
    expect(f.values).toEqual({ 'logementRecherche.demandeElargie': { source: !d.logementRecherche.demandeElargie, local: d.logementRecherche.demandeElargie } });
    expect(byNu(first.report.findings.divergent, w.nu(ROLE.sourceAhead)).values).toBeUndefined();
  });

  it('without a stock file, compares the local tool with what was last pulled, each difference confirmed by a targeted read', async () => {
    const r = await runReconciliation(w.deps, { today: TODAY, write: false });
    expect(r.report.source.mode).toBe('ledger');
    const nu = w.nu;
    // What the SNE changed, added or removed since the last pull is not in the ledger: only a stock shows it.
    expect(numUniques(r.report.findings.divergent)).toEqual([nu(ROLE.conflict)]);
    expect(numUniques(r.report.findings['missing-local'])).toEqual([nu(ROLE.deletedLocally), nu(ROLE.deadLetter)].sort());
    expect(numUniques(r.report.findings['missing-source'])).toEqual([nu(ROLE.localOnly)]);
    expect(numUniques(r.report.findings['changed-locally'])).toEqual([nu(ROLE.changedLocally), nu(ROLE.changedLocallyPushPending)].sort());
    expect([...r.report.findings.divergent, ...r.report.findings['missing-local'], ...r.report.findings['missing-source']].every((f) => f.confirmed)).toBe(true);
  });

  it('exits 0, 1 or 2 by --fail-on, and lists its reports', async () => {
    // The simulators answer from this process: the CLI runs beside it, not in a blocking call.
    const run = (...args: string[]) => cli([...args, '--config', w.configPath], { ...process.env, ...testEnv });
    const base = ['reconcile', '--stock', w.stockDir, '--today', TODAY, '--json', '--format', 'json'];
    const within = await run(...base, '--fail-on', 'divergent=2,missing-local=3');
    expect(within.status).toBe(0);
    expect(JSON.parse(within.stdout.trim().split('\n').pop()!).counts.divergent).toBe(2);
    expect((await run(...base, '--fail-on', 'divergent=1')).status).toBe(1);
    const bad = await run(...base, '--fail-on', 'divergent=lots');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--fail-on');
    const listed = await run('reports', '--json');
    expect(listed.status).toBe(0);
    expect(listed.stdout.trim().split('\n').length).toBe(3); // keep: 3
  }, 180_000);

  it('plans the fixes in a dry run, applies them on demand, and the next reconciliation shows them resolved', async () => {
    const nu = w.nu;
    const dry = await runReconciliation(w.deps, { stock, today: TODAY, repair: 'plan', write: false });
    expect(dry.plan!.actions.map((a) => [a.kind, a.numUniques])).toEqual([
      ['repull', [nu(ROLE.deletedLocally), nu(ROLE.notPulled), nu(ROLE.sourceAhead)].sort()],
      ['replay', [nu(ROLE.deadLetter)]],
      ['repush', [nu(ROLE.changedLocally)]],
    ]);
    expect(dry.repair).toBeUndefined();
    expect(await w.gateway.deadLetters.countOpen()).toBe(2);

    const applied = await runReconciliation(w.deps, { stock, today: TODAY, repair: 'apply', write: false });
    expect(applied.repair!.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    for (const o of applied.repair!) {
      if (o.action.kind === 'repull') await w.gateway.waitForRun(`run.${o.ids![0]}`, { timeoutMs: 60_000 });
    }
    await w.gateway.waitForRun(`run.repair.${applied.report.id}`, { timeoutMs: 60_000 });
    const events = await w.local.client.listEvenements({ after: 0, limit: 1000 });
    expect(events.items.filter((e) => e.id.startsWith('reconcile.')).map((e) => [e.numUnique, e.type])).toEqual([[nu(ROLE.changedLocally), 'rectification']]);

    const again = await runReconciliation(w.deps, { stock, today: TODAY, write: false });
    const f = again.report.findings;
    expect(numUniques(f['missing-local'])).toEqual([]);
    expect(numUniques(f.divergent)).toEqual([nu(ROLE.conflict)]);
    expect(numUniques(f['dead-letter'])).toEqual([nu(ROLE.pushDeadLetter)]);
    // The re-push is an event in the local tool's feed: the push pipeline (not running here) sends it.
    expect(numUniques(f['changed-locally'])).toEqual([nu(ROLE.changedLocally), nu(ROLE.changedLocallyPushPending)].sort());
  }, 120_000);

  it('runs as the nightly job, keeps the last N reports, and lists them for the web server', async () => {
    const processor = createReconcileProcessor({ ...w.deps, stockFor: () => w.stockDir });
    const result = await processor({ id: 'tick.reconcile.test', data: { trigger: 'schedule' } });
    expect(result.reports).toHaveLength(1);
    const listing = reportListing(w.config);
    const reports = await listing.listReports();
    expect(new Set(reports.map((r) => r.id.replace(/\.json$/, ''))).size).toBe(3);
    expect(reports[0]).toMatchObject({ id: result.reports[0]!.id, format: 'html' });
    expect(readFileSync(listing.reportFile(result.reports[0]!.id), 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(listing.reportFile(`${result.reports[0]!.id}.json`), 'utf8')).id).toBe(result.reports[0]!.id);
  }, 60_000);
});
