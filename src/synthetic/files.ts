/**
 * Writes a synthetic data set to a folder: SNE dispatch files (`interfaceNuu` XML, named
 * `DEM<guichet>-<YYYYMMDDHHMM>-<counter>.xml`) or canonical JSON lines. Streams the generator, holding
 * at most one file's worth of demands per desk. The XML builder is injected (the codec), so this module
 * does not depend on it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError, type Issue } from '../errors';
import type { Demande, IsoDate } from '../domain';
import { DEFAULT_TODAY, GenerationMode, iterateDemandes, type GenerateOptions } from './generate';

/** What the codec's `buildInterfaceNuu` takes (a structural subset of its input). */
export interface InterfaceNuuInput {
  versionInterface: string;
  /** `DIS` (dispatch of registered demands) or `CRE` (creations, without numéro unique). */
  entete: { typeFichier: 'DIS' | 'CRE'; dateFichier: string };
  demandes: Demande[];
}
export type BuildInterfaceNuu = (input: InterfaceNuuInput) => string;

export const OutputFormat = { xml: 'xml', json: 'json' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export interface WriteDataSetOptions extends GenerateOptions {
  outDir: string;
  /** Demands per file (default 1000). */
  perFile?: number;
  format: OutputFormat;
  /** Required for `xml`. */
  buildXml?: BuildInterfaceNuu;
  /** Default `02.01`. */
  versionInterface?: string;
}

export interface WrittenFile {
  name: string;
  demandes: number;
}

/** `DEM<guichet>-<YYYYMMDDHHMM>-<6-digit counter>.xml` (domain.md §3). */
export function sneFileName(guichet: string, stamp: string, counter: number): string {
  if (!Number.isInteger(counter) || counter < 0 || counter > 999_999) {
    throw new ValidationError('SYNTHETIC_FILE_COUNTER', [{ path: 'counter', rule: 'range', message: 'must be 0..999999' }]);
  }
  return `DEM${guichet}-${stamp}-${String(counter).padStart(6, '0')}.xml`;
}

/** Last Sunday of a month (1-12), as a day of the month. */
function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/**
 * The time stamp of the files of a data set: 03:00 Paris time on `today` (a night batch; 03:00 exists
 * once on both daylight-saving change days). Returns the file-name stamp and the `dateFichier`.
 */
export function fileTimestamp(today: IsoDate): { stamp: string; dateFichier: string } {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const summer = (m > 3 && m < 10) || (m === 3 && d >= lastSunday(y, 3)) || (m === 10 && d < lastSunday(y, 10));
  return { stamp: `${today.replace(/-/g, '')}0300`, dateFichier: `${today}T03:00:00.0${summer ? '+02:00' : '+01:00'}` };
}

/**
 * Generates and writes the data set; returns the files written, in writing order. Deterministic: the
 * same options write the same bytes.
 */
export function writeDataSet(options: WriteDataSetOptions): WrittenFile[] {
  const perFile = options.perFile ?? 1000;
  const issues: Issue[] = [];
  if (!Number.isSafeInteger(perFile) || perFile < 1) issues.push({ path: 'perFile', rule: 'integer', message: 'must be a whole number ≥ 1' });
  if (options.format !== OutputFormat.xml && options.format !== OutputFormat.json) {
    issues.push({ path: 'format', rule: 'enum', message: 'must be xml or json' });
  }
  if (options.format === OutputFormat.xml && !options.buildXml) {
    issues.push({ path: 'buildXml', rule: 'required', message: 'an interfaceNuu builder is needed for xml' });
  }
  if (issues.length) throw new ValidationError('SYNTHETIC_OUTPUT', issues);
  // Checks the generation options too, before the folder is created.
  const demandes = iterateDemandes(options);
  fs.mkdirSync(options.outDir, { recursive: true });

  const files: WrittenFile[] = [];
  let counter = 0;

  if (options.format === OutputFormat.json) {
    let batch: string[] = [];
    const flush = () => {
      counter++;
      const name = `demandes-${String(counter).padStart(6, '0')}.jsonl`;
      fs.writeFileSync(path.join(options.outDir, name), batch.join(''));
      files.push({ name, demandes: batch.length });
      batch = [];
    };
    for (const d of demandes) {
      batch.push(`${JSON.stringify(d)}\n`);
      if (batch.length === perFile) flush();
    }
    if (batch.length) flush();
    return files;
  }

  const build = options.buildXml!;
  const { stamp, dateFichier } = fileTimestamp(options.today ?? DEFAULT_TODAY);
  const typeFichier = options.mode === GenerationMode.creation ? 'CRE' : 'DIS';
  const versionInterface = options.versionInterface ?? '02.01';
  // One bucket per desk: a dispatch file carries the demands of one guichet.
  const buckets = new Map<string, Demande[]>();
  const flush = (guichet: string, batch: Demande[]) => {
    counter++;
    const name = sneFileName(guichet, stamp, counter);
    fs.writeFileSync(path.join(options.outDir, name), build({ versionInterface, entete: { typeFichier, dateFichier }, demandes: batch }));
    files.push({ name, demandes: batch.length });
  };
  for (const d of demandes) {
    const bucket = buckets.get(d.numGuichet) ?? [];
    bucket.push(d);
    buckets.set(d.numGuichet, bucket);
    if (bucket.length === perFile) {
      flush(d.numGuichet, bucket);
      buckets.delete(d.numGuichet);
    }
  }
  for (const [guichet, batch] of buckets) flush(guichet, batch);
  return files;
}
