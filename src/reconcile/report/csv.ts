/**
 * One CSV file per category and per check (`<kind>.csv`), RFC 4180, UTF-8 with a BOM so that spreadsheet
 * programs read the accents. Text cells that a spreadsheet would run as a formula are prefixed with `'`.
 */
import { join } from 'node:path';
import type { Finding, FindingKind } from '../types';
import { detailOf } from '../describe';
import { Out } from './out';

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

const pairs = (o: Record<string, unknown> | undefined): string =>
  o ? Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join('; ') : '';

export const CSV_COLUMNS = ['numUnique', 'reason', 'detail', 'fields', 'stoppedAt', 'confirmed', 'fix', 'refs', 'data'] as const;

export function csvRow(f: Finding, showValues: boolean): string {
  const cells: unknown[] = [
    f.numUnique,
    f.reason,
    detailOf(f),
    (f.fields ?? []).join('; ') + (f.fieldsTruncated ? '; …' : ''),
    (f.stoppedAt ?? []).join('; '),
    f.confirmed,
    f.fix,
    pairs(f.refs as Record<string, unknown> | undefined),
    pairs(f.data),
  ];
  if (showValues) cells.push(f.values ? JSON.stringify(f.values) : '');
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Writes `<dir>/<kind>.csv`; returns the file name. */
export async function writeCsv(dir: string, kind: FindingKind, findings: readonly Finding[], showValues: boolean): Promise<string> {
  const name = `${kind}.csv`;
  const out = new Out(join(dir, name));
  await out.write(`\uFEFF${[...CSV_COLUMNS, ...(showValues ? ['values'] : [])].join(',')}\r\n`);
  for (const f of findings) await out.write(csvRow(f, showValues));
  await out.end();
  return name;
}
