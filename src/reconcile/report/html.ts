/**
 * `report.html`: one self-contained page for the EPCI's team (no script, no external resource: it is
 * served under `default-src 'none'` and a sandbox): the summary with the counts, bar charts of the counts
 * as inline SVG, then each category's and each check's list (the first rows; the CSV files hold all).
 */
import {
  CATEGORY_INFO,
  CHECK_INFO,
  categories,
  checks,
  comparisonCategories,
  type Finding,
  type FindingKind,
  type ReconcileReport,
} from '../types';
import { detailOf } from '../describe';
import { Out } from './out';

export interface HtmlOptions {
  /** Rows shown per list (default 1000). */
  rows?: number;
  /** The verdict of `--fail-on`, when there is one. */
  thresholds?: { spec: string; exceeded: Array<{ kind: string; count: number; max: number }> };
  /** The repair plan or its outcome: one line per action. */
  repair?: { mode: string; lines: string[] };
  /** File names of the CSV files, by kind (linked as text: the page may be opened from disk or served). */
  csv?: Partial<Record<FindingKind, string>>;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
}

const fmt = (n: number): string => n.toLocaleString('en-US').replace(/,/g, '\u202f');

const STYLE = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dee4;--bg:#fff;--soft:#f5f7f9;--bad:#b42318;--ok:#1a7f37;--warn:#9a6700;--accent:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;border-bottom:1px solid var(--line);background:var(--soft)}
h1{margin:0 0 6px;font-size:22px}
h2{font-size:18px;margin:28px 0 8px}
main{padding:8px 28px 40px;max-width:1400px}
.meta{color:var(--muted);margin:0}
.meta b{color:var(--fg);font-weight:600}
table{border-collapse:collapse;width:100%;margin:8px 0 4px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.count.nonzero{color:var(--bad);font-weight:700}
.count.zero{color:var(--ok)}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 32px}
.pill{display:inline-block;padding:0 6px;border-radius:9px;background:var(--soft);border:1px solid var(--line);font-size:12px;margin:0 2px 2px 0;white-space:nowrap}
.verdict{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.verdict.fail{background:#fdecea;color:var(--bad)}
.verdict.pass{background:#e8f5ec;color:var(--ok)}
.muted{color:var(--muted)}
.fields{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
section.kind{border-top:2px solid var(--line);margin-top:24px}
details summary{cursor:pointer;color:var(--accent)}
figure{margin:8px 0}
figcaption{color:var(--muted);font-size:12px}
ul.problems li{margin:2px 0}
@media print{thead th{position:static}}
`;

interface Bar {
  kind: FindingKind;
  label: string;
  value: number;
}

/** A horizontal bar chart of counts, as inline SVG (linear scale, each bar labelled with its count). */
export function barChart(id: string, title: string, bars: readonly Bar[], color: string): string {
  const rowH = 24;
  const labelW = 350;
  const barW = 300;
  const width = labelW + barW + 90;
  const height = bars.length * rowH + 12;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rows = bars
    .map((b, i) => {
      const y = 6 + i * rowH;
      const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * barW));
      return (
        `<g data-kind="${esc(b.kind)}"><text x="${labelW - 8}" y="${y + 16}" text-anchor="end" font-size="12" fill="#1b1f24">${esc(b.label)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="2" fill="${b.value ? color : '#d8dee4'}"/>` +
        `<text x="${labelW + w + 6}" y="${y + 16}" font-size="12" fill="#1b1f24">${esc(fmt(b.value))}</text></g>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" id="${esc(id)}" role="img" aria-labelledby="${esc(id)}-t" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto">` +
    `<title id="${esc(id)}-t">${esc(title)}</title>` +
    `<line x1="${labelW}" y1="2" x2="${labelW}" y2="${height - 2}" stroke="#d8dee4"/>${rows}</svg>`
  );
}

function pills(values: readonly string[] | undefined): string {
  return (values ?? []).map((v) => `<span class="pill">${esc(v)}</span>`).join('');
}

function refsText(f: Finding): string {
  const r = f.refs ?? {};
  const parts: string[] = [];
  if (r.deadLetterId) parts.push(`dead letter ${r.deadLetterId}`);
  if (r.quarantineId) parts.push(`quarantine ${r.quarantineId}`);
  if (r.eventId) parts.push(`event ${r.eventId}`);
  if (r.jobId) parts.push(`job ${r.jobId}`);
  if (r.target) parts.push(`target ${r.target}`);
  if (r.localVersion !== undefined) parts.push(`local v${r.localVersion}`);
  return parts.join(' · ');
}

function valuesHtml(f: Finding): string {
  if (!f.values) return '';
  return Object.entries(f.values)
    .map(([path, v]) => `<div><code>${esc(path)}</code>: ${esc(JSON.stringify(v.source))} → ${esc(JSON.stringify(v.local))}</div>`)
    .join('');
}

function findingsTable(kind: FindingKind, items: readonly Finding[], o: { rows: number; showValues: boolean; csv?: string }): string {
  if (!items.length) return '<p class="muted">None.</p>';
  const comparison = (comparisonCategories as readonly string[]).includes(kind);
  const head = [
    '<th scope="col">Numéro unique</th>',
    '<th scope="col">Reason</th>',
    '<th scope="col">Detail</th>',
    '<th scope="col">Fields</th>',
    '<th scope="col">Stopped at</th>',
    comparison ? '<th scope="col">Confirmed</th>' : '',
    '<th scope="col">Fix</th>',
    '<th scope="col">References</th>',
    o.showValues ? '<th scope="col">Values (source → local)</th>' : '',
  ].join('');
  const rows = items
    .slice(0, o.rows)
    .map(
      (f) =>
        `<tr><td><code>${esc(f.numUnique ?? '—')}</code></td><td>${esc(f.reason)}</td><td>${esc(detailOf(f))}</td>` +
        `<td class="fields">${pills(f.fields)}${f.fieldsTruncated ? '<span class="pill">…</span>' : ''}</td>` +
        `<td>${pills(f.stoppedAt)}</td>` +
        (comparison ? `<td>${f.confirmed ? 'yes' : 'no'}</td>` : '') +
        `<td>${esc(f.fix ?? '')}</td><td class="muted">${esc(refsText(f))}</td>` +
        (o.showValues ? `<td class="fields">${valuesHtml(f)}</td>` : '') +
        '</tr>',
    )
    .join('\n');
  const more =
    items.length > o.rows
      ? `<p class="muted">${fmt(items.length - o.rows)} more not shown here: see ${esc(o.csv ?? `${kind}.csv`)} and report.json.</p>`
      : '';
  return `<table class="findings" data-kind="${esc(kind)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>${more}`;
}

export async function writeHtml(path: string, report: ReconcileReport, options: HtmlOptions = {}): Promise<void> {
  const out = new Out(path);
  const rowsShown = options.rows ?? 1000;
  const r = report;
  const title = `Reconciliation ${r.system.toUpperCase()} ↔ local tool, ${r.today}`;
  const source =
    r.source.mode === 'stock'
      ? `stock file <b>${esc(r.source.file ?? '')}</b>${r.source.dateFichier ? ` dated ${esc(r.source.dateFichier)}` : ''} (${fmt(r.source.demandes)} demands, ${fmt(r.source.parsed)} parsed)`
      : `<b>the ledger</b> (what the gateway last pulled; no stock file), ${fmt(r.source.demandes)} demands`;
  await out.write(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">Report <b id="report-id">${esc(r.id)}</b> · made ${esc(r.finishedAt)} in ${fmt(Math.round(r.durationMs / 100) / 10)} s · checks as of <b>${esc(r.today)}</b></p>
<p class="meta">Source ${source} · local tool: ${fmt(r.local.demandes)} demands, ${fmt(r.local.evenements)} events</p>
<p class="meta">Compared <b id="compared">${fmt(r.compared.demandes)}</b> demands, <b id="identical">${fmt(r.compared.identical)}</b> identical · targeted reads ${fmt(r.confirmation.reads)} of ${fmt(r.confirmation.budget)} allowed (${r.confirmation.rateLimit.max} per ${r.confirmation.rateLimit.durationMs} ms), ${fmt(r.confirmation.resolved)} differences resolved on reading, ${fmt(r.confirmation.unconfirmed)} unconfirmed${r.showValues ? ' · <b>values shown</b>' : ''}</p>
</header>
<main>
`);
  if (options.thresholds) {
    const t = options.thresholds;
    const verdict = t.exceeded.length
      ? `<div class="verdict fail" id="verdict">Above the thresholds (${esc(t.spec)}): ${t.exceeded.map((e) => `${esc(e.kind)} ${fmt(e.count)} &gt; ${fmt(e.max)}`).join(', ')}</div>`
      : `<div class="verdict pass" id="verdict">Within the thresholds (${esc(t.spec || 'none')}).</div>`;
    await out.write(verdict);
  }

  const catRows = categories
    .map((c) => {
      const list = r.findings[c];
      const n = r.counts[c];
      const comparison = (comparisonCategories as readonly string[]).includes(c);
      const confirmed = comparison ? list.filter((f) => f.confirmed).length : undefined;
      const fixable = list.filter((f) => f.fix).length;
      return `<tr id="count-${c}"><th scope="row"><a href="#${c}">${esc(CATEGORY_INFO[c].title)}</a></th><td class="n count ${n ? 'nonzero' : 'zero'}" data-kind="${c}">${fmt(n)}</td><td class="n">${confirmed === undefined ? '' : fmt(confirmed)}</td><td class="n">${fmt(fixable)}</td></tr>`;
    })
    .join('\n');
  const checkRows = checks
    .map((c) => {
      const n = r.counts[c];
      return `<tr id="count-${c}"><th scope="row"><a href="#${c}">${esc(CHECK_INFO[c].title)}</a></th><td class="n count ${n ? 'nonzero' : 'zero'}" data-kind="${c}">${fmt(n)}</td><td class="muted">${esc(CHECK_INFO[c].reference)}</td></tr>`;
    })
    .join('\n');
  await out.write(`<section id="summary">
<h2>Summary</h2>
<div class="grid">
<div>
<table id="summary-categories"><caption class="muted" style="text-align:left">What differs, and what is stuck in the gateway</caption>
<thead><tr><th scope="col">Category</th><th scope="col" class="n">Count</th><th scope="col" class="n">Confirmed</th><th scope="col" class="n">Fixable</th></tr></thead>
<tbody>
${catRows}
</tbody></table>
<figure>${barChart('chart-categories', 'Findings per category', categories.map((c) => ({ kind: c, label: CATEGORY_INFO[c].title, value: r.counts[c] })), '#c2410c')}
<figcaption>Findings per category.</figcaption></figure>
</div>
<div>
<table id="summary-checks"><caption class="muted" style="text-align:left">Regulatory checks</caption>
<thead><tr><th scope="col">Check</th><th scope="col" class="n">Count</th><th scope="col">Reference</th></tr></thead>
<tbody>
${checkRows}
</tbody></table>
<figure>${barChart('chart-checks', 'Demands per regulatory check', checks.map((c) => ({ kind: c, label: CHECK_INFO[c].title, value: r.counts[c] })), '#0b5cad')}
<figcaption>Demands per regulatory check.</figcaption></figure>
</div>
</div>
</section>
`);
  if (options.repair) {
    await out.write(
      `<section id="repair"><h2>Repair (${esc(options.repair.mode)})</h2>${
        options.repair.lines.length ? `<ul>${options.repair.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : '<p class="muted">Nothing to repair.</p>'
      }</section>\n`,
    );
  }
  if (r.problems.length) {
    await out.write(
      `<section id="problems"><h2>What limited this reconciliation</h2><ul class="problems">${r.problems
        .map((p) => `<li><code>${esc(p.path)}</code> <span class="pill">${esc(p.rule)}</span> ${esc(p.message)}</li>`)
        .join('')}</ul></section>\n`,
    );
  }
  for (const c of categories) {
    await out.write(
      `<section class="kind" id="${c}"><h2>${esc(CATEGORY_INFO[c].title)} <span class="muted">(${fmt(r.counts[c])})</span></h2><p class="muted">${esc(CATEGORY_INFO[c].description)}</p>\n`,
    );
    await out.write(findingsTable(c, r.findings[c], { rows: rowsShown, showValues: r.showValues, ...(options.csv?.[c] ? { csv: options.csv[c] } : {}) }));
    await out.write('</section>\n');
  }
  for (const c of checks) {
    const info = CHECK_INFO[c];
    await out.write(
      `<section class="kind" id="${c}"><h2>${esc(info.title)} <span class="muted">(${fmt(r.counts[c])})</span></h2><p>${esc(info.rule)} <span class="muted">Reference: ${esc(info.reference)}.</span></p>\n`,
    );
    await out.write(findingsTable(c, r.checks[c], { rows: rowsShown, showValues: false, ...(options.csv?.[c] ? { csv: options.csv[c] } : {}) }));
    await out.write('</section>\n');
  }
  await out.write(`<p class="muted">The lists name demands, fields and rules; personal values appear only in a report made with --show-values.</p>\n</main>\n</body>\n</html>\n`);
  await out.end();
}
