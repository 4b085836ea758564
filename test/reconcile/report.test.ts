import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { categories, checks, emptyCounts, planRepair, ReportStore, type Finding, type ReconcileReport } from '../../src/reconcile';
import { csvCell, csvRow } from '../../src/reconcile/report/csv';
import { barChart, esc } from '../../src/reconcile/report/html';
import { hexField, numberField } from '../../src/reconcile/engine';

function report(id: string, finishedAt: string, findings: Partial<Record<string, Finding[]>> = {}): ReconcileReport {
  const f = Object.fromEntries(categories.map((c) => [c, findings[c] ?? []])) as ReconcileReport['findings'];
  const ch = Object.fromEntries(checks.map((c) => [c, findings[c] ?? []])) as ReconcileReport['checks'];
  const counts = emptyCounts();
  for (const k of [...categories, ...checks]) counts[k] = (findings[k] ?? []).length;
  return {
    format: 'passerelle.reconcile/1',
    id,
    system: 'sne',
    startedAt: finishedAt,
    finishedAt,
    durationMs: 1,
    today: '2025-03-14',
    source: { mode: 'stock', file: 'DEM.xml', demandes: 2, parsed: 0 },
    local: { demandes: 2, evenements: 0, nonCanonical: 0 },
    compared: { demandes: 2, identical: 1 },
    confirmation: { reads: 1, budget: 10, rateLimit: { max: 2, durationMs: 1000 }, resolved: 0, unconfirmed: 0, errors: {} },
    counts,
    findings: f,
    checks: ch,
    problems: [{ path: 'stock', rule: 'duplicate', message: 'one demand twice <b>' }],
    showValues: false,
  };
}

describe('the report files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-reports-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('quotes CSV cells and defuses what a spreadsheet would run as a formula', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "x"')).toBe('"say ""x"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-3)).toBe('-3');
    expect(csvRow({ kind: 'divergent', numUnique: 'N1', reason: 'source-ahead', fields: ['a.b', 'c'], stoppedAt: ['not-pulled'], confirmed: true, fix: 'repull', refs: { localVersion: 2 } }, false)).toBe(
      'N1,source-ahead,,a.b; c,not-pulled,true,repull,localVersion=2,\r\n',
    );
  });

  it('escapes every text of the page, and draws the counts as SVG', () => {
    expect(esc('<script>"&\'')).toBe('&lt;script&gt;&quot;&amp;&#39;');
    const svg = barChart('c', 'Counts', [{ kind: 'divergent', label: 'Divergent', value: 3 }, { kind: 'conflict', label: 'Conflicts', value: 0 }], '#000');
    expect(svg).toMatch(/^<svg[^>]*role="img"/);
    expect(svg).toContain('>3</text>');
  });

  it('writes a report folder atomically, lists the newest first, serves its files by id and keeps the last N', async () => {
    const store = new ReportStore(dir, 2);
    const finding: Finding = { kind: 'divergent', numUnique: 'N1', reason: 'source-ahead', fields: ['demandeur.nom'], confirmed: true };
    const a = await store.write(report('reconcile-sne-20250101T000000Z', '2025-01-01T00:00:00.000Z', { divergent: [finding] }));
    const b = await store.write(report('reconcile-sne-20250102T000000Z', '2025-01-02T00:00:00.000Z'), { formats: ['json'] });
    const json = JSON.parse(readFileSync(join(a.dir, 'report.json'), 'utf8'));
    expect(json.findings.divergent).toEqual([finding]);
    expect(json.counts.divergent).toBe(1);
    expect(readFileSync(join(a.dir, 'report.html'), 'utf8')).toContain('one demand twice &lt;b&gt;');
    expect((await store.list()).map((r) => [r.id, r.format])).toEqual([
      [`${b.id}.json`, 'json'],
      [a.id, 'html'],
      [`${a.id}.json`, 'json'],
    ]);
    expect(store.file(a.id)).toBe(join(dir, a.id, 'report.html'));
    expect(store.file(`${a.id}.json`)).toBe(join(dir, a.id, 'report.json'));
    expect(() => store.file('../etc')).toThrow();
    // The same id again (two runs in one second) gets a suffix; the oldest is pruned.
    const c = await store.write(report('reconcile-sne-20250102T000000Z', '2025-01-03T00:00:00.000Z'));
    expect(c.id).toBe('reconcile-sne-20250102T000000Z-2');
    expect(readdirSync(dir).sort()).toEqual([b.id, c.id].sort());
  });

  it('plans one re-pull per batch, one replay per dead letter, one re-push per demand', () => {
    const f = (kind: Finding['kind'], nu: string, extra: Partial<Finding>): Finding => ({ kind, numUnique: nu, reason: 'r', ...extra });
    const plan = planRepair(
      {
        id: 'R',
        system: 'sne',
        findings: {
          ...report('R', '2025-01-01T00:00:00Z').findings,
          'missing-local': [f('missing-local', 'N3', { fix: 'repull', refs: { ledgerReset: 'delete' } }), f('missing-local', 'N4', { fix: 'replay', refs: { deadLetterId: 'd1' } })],
          divergent: [f('divergent', 'N1', { fix: 'repull' }), f('divergent', 'N2', {})],
          'changed-locally': [f('changed-locally', 'N5', { fix: 'repush', refs: { localVersion: 3 } })],
          'dead-letter': [f('dead-letter', 'N4', { fix: 'replay', refs: { deadLetterId: 'd1' } })],
        },
      },
      { batchSize: 1 },
    );
    expect(plan.actions.map((a) => [a.kind, a.numUniques, a.ledgerResets ?? a.deadLetterId ?? a.localVersion])).toEqual([
      ['repull', ['N1'], undefined],
      ['repull', ['N3'], [{ numUnique: 'N3', reset: 'delete' }]],
      ['replay', ['N4'], 'd1'],
      ['repush', ['N5'], 3],
    ]);
  });

  it('reads the fields of a ledger entry in place', () => {
    const h = 'ab'.repeat(32);
    const entry = Buffer.from(JSON.stringify({ hash: h, rawHash: 'cd'.repeat(32), version: 12, at: 'x', state: 'synced', failedHash: 'zz' }));
    expect(hexField(entry, 'hash')).toBe(h);
    expect(hexField(entry, 'rawHash')).toBe('cd'.repeat(32));
    expect(hexField(entry, 'failedHash')).toBeUndefined();
    expect(hexField(Buffer.from('{"hash":""}'), 'hash')).toBeUndefined();
    expect(numberField(entry, 'version')).toBe(12);
    expect(numberField(Buffer.from('{"hash":"x"}'), 'version')).toBeUndefined();
  });
});
