/**
 * The reports kept on disk (`config.reconcile.outDir`, the last `config.reconcile.keep`), one folder per
 * report: `report.json`, `report.html`, `csv/<kind>.csv`, and `meta.json` (written last: a folder without
 * it is an unfinished report and is not listed). A report is written in a hidden folder and renamed into
 * place, so a reader never sees half of one.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ReportInfo } from '../../server/types';
import { categories, checks, type FindingKind, type ReconcileReport } from '../types';
import { writeCsv } from './csv';
import { writeHtml, type HtmlOptions } from './html';
import { writeJson, type ReportExtra } from './json';

export const ReportFormat = { json: 'json', csv: 'csv', html: 'html' } as const;
export type ReportFormat = (typeof ReportFormat)[keyof typeof ReportFormat];
export const reportFormats: readonly ReportFormat[] = Object.values(ReportFormat);

/** What `meta.json` holds: enough to list reports without opening them. */
export interface ReportMeta {
  id: string;
  system: string;
  createdAt: string;
  today: string;
  sourceMode: string;
  formats: ReportFormat[];
  counts: Record<FindingKind, number>;
  /** `--fail-on` verdict, when one was given. */
  exceeded?: Array<{ kind: string; count: number; max: number }>;
}

export interface WrittenReport {
  id: string;
  dir: string;
  files: string[];
  meta: ReportMeta;
}

export interface WriteReportOptions {
  formats?: readonly ReportFormat[];
  /** Added to report.json (thresholds, repair). */
  extra?: ReportExtra;
  html?: Omit<HtmlOptions, 'csv'>;
}

const REPORT_DIR = /^reconcile-[A-Za-z0-9._-]+$/;

export class ReportStore {
  readonly dir: string;

  constructor(dir: string, private readonly keep: number) {
    this.dir = resolve(dir);
  }

  /** Writes a report in every asked format, then prunes to the last `keep`. */
  async write(report: ReconcileReport, options: WriteReportOptions = {}): Promise<WrittenReport> {
    const formats = [...new Set(options.formats ?? reportFormats)];
    await mkdir(this.dir, { recursive: true });
    const existing = new Set(await readdir(this.dir));
    let id = report.id;
    for (let n = 2; existing.has(id); n++) id = `${report.id}-${n}`;
    const final = { ...report, id };
    const tmp = join(this.dir, `.${id}.tmp-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const files: string[] = [];
    const csv: Partial<Record<FindingKind, string>> = {};
    if (formats.includes('csv')) {
      await mkdir(join(tmp, 'csv'));
      for (const c of categories) csv[c] = `csv/${await writeCsv(join(tmp, 'csv'), c, final.findings[c], final.showValues)}`;
      for (const c of checks) csv[c] = `csv/${await writeCsv(join(tmp, 'csv'), c, final.checks[c], false)}`;
      files.push(...Object.values(csv));
    }
    if (formats.includes('json')) {
      await writeJson(join(tmp, 'report.json'), final, options.extra);
      files.push('report.json');
    }
    if (formats.includes('html')) {
      await writeHtml(join(tmp, 'report.html'), final, { ...options.html, ...(formats.includes('csv') ? { csv } : {}) });
      files.push('report.html');
    }
    const exceeded = (options.extra?.thresholds as { exceeded?: ReportMeta['exceeded'] } | undefined)?.exceeded;
    const meta: ReportMeta = {
      id,
      system: final.system,
      createdAt: final.finishedAt,
      today: final.today,
      sourceMode: final.source.mode,
      formats,
      counts: final.counts,
      ...(exceeded ? { exceeded } : {}),
    };
    await writeFile(join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    const dir = join(this.dir, id);
    await rename(tmp, dir);
    await this.prune();
    return { id, dir, files, meta };
  }

  /** Finished reports, newest first. */
  async metas(): Promise<ReportMeta[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ReportMeta[] = [];
    for (const name of names) {
      if (!REPORT_DIR.test(name)) continue;
      try {
        const meta = JSON.parse(await readFile(join(this.dir, name, 'meta.json'), 'utf8')) as ReportMeta;
        if (meta.id === name) out.push(meta);
      } catch {
        // No meta.json (yet): not a finished report.
        continue;
      }
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  }

  /** For the web server: one entry per report page (HTML) and per JSON file. */
  async list(): Promise<ReportInfo[]> {
    const out: ReportInfo[] = [];
    for (const m of await this.metas()) {
      const title = `${m.system.toUpperCase()} ${m.createdAt.slice(0, 16).replace('T', ' ')} (checks as of ${m.today})`;
      if (m.formats.includes('html')) out.push({ id: m.id, createdAt: m.createdAt, title, format: 'html' });
      if (m.formats.includes('json')) out.push({ id: `${m.id}.json`, createdAt: m.createdAt, title: `${title}, JSON`, format: 'json' });
    }
    return out;
  }

  /** The absolute path of a listed report id (`<id>` → its page, `<id>.json` → its JSON). */
  file(id: string): string {
    const json = id.endsWith('.json');
    const base = json ? id.slice(0, -'.json'.length) : id;
    if (!REPORT_DIR.test(base) || base.includes('..')) throw new Error('not a report id');
    return join(this.dir, base, json ? 'report.json' : 'report.html');
  }

  /** Removes all but the newest `keep` reports, and unfinished folders left by a crash. */
  async prune(): Promise<string[]> {
    const metas = await this.metas();
    const removed: string[] = [];
    for (const m of metas.slice(this.keep)) {
      await rm(join(this.dir, m.id), { recursive: true, force: true });
      removed.push(m.id);
    }
    for (const name of await readdir(this.dir)) {
      const tmp = /^\.(reconcile-[A-Za-z0-9._-]+)\.tmp-(\d+)$/.exec(name);
      if (tmp && Number(tmp[2]) !== process.pid) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    return removed;
  }
}
