/**
 * `report.json`: the whole report, machine-readable: the counts and every finding of every category and
 * check, written finding by finding.
 */
import { categories, checks, type Finding, type ReconcileReport } from '../types';
import { Out } from './out';

/** Sections a caller adds to the report (the thresholds' verdict, the repair plan). */
export type ReportExtra = Record<string, unknown>;

async function list(out: Out, items: readonly Finding[]): Promise<void> {
  await out.write('[');
  for (let i = 0; i < items.length; i++) {
    await out.write(`${i ? ',' : ''}\n    ${JSON.stringify(items[i])}`);
  }
  await out.write(items.length ? '\n  ]' : ']');
}

export async function writeJson(path: string, report: ReconcileReport, extra: ReportExtra = {}): Promise<void> {
  const out = new Out(path);
  const { findings, checks: checkFindings, ...head } = report;
  const headJson = JSON.stringify({ ...head, ...extra }, null, 2);
  // The head without its closing brace, then the two big sections.
  await out.write(`${headJson.slice(0, headJson.lastIndexOf('}')).trimEnd()},\n  "findings": {`);
  for (let i = 0; i < categories.length; i++) {
    const c = categories[i]!;
    await out.write(`${i ? ',' : ''}\n  ${JSON.stringify(c)}: `);
    await list(out, findings[c]);
  }
  await out.write('\n  },\n  "checks": {');
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    await out.write(`${i ? ',' : ''}\n  ${JSON.stringify(c)}: `);
    await list(out, checkFindings[c]);
  }
  await out.write('\n  }\n}\n');
  await out.end();
}
