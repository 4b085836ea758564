/**
 * Business anomalies of the SNE: the service answers a refused demand with the demand document itself,
 * where `demande/demandeLogement/listeAnomalie` lists one element per anomaly, with a `code` attribute
 * (family `CTRL_DEM_nnnn`) and a message (domain.md §3). The official table of codes is not public yet,
 * so what each code means, and whether retrying can help, lives in `mappings/sne/anomalies.yaml`.
 *
 * An anomaly's message is the service's text about the demand and may quote its values: it is returned to
 * the caller for an authorised person to read, and never copied into an error, a log or a metric.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PermanentError, TransientError, ValidationError, type GatewayError, type Issue } from '../../../errors';
import { SneErrorCode, SNE_SYSTEM, WireFormatError } from './errors';
import { parseXml, type XmlElement } from './xml';

export interface SneAnomaly {
  /** The `code` attribute as sent ('' when absent). */
  code: string;
  /** The service's message (may quote personal data: show it, never log it). */
  message: string;
  /** 0-based position of the `demandeLogement` it belongs to, in document order. */
  demandeIndex: number;
}

const CODE_KEY = /^[A-Z][A-Z0-9_]{0,63}$/;

const entrySchema = z.strictObject({
  retryable: z.boolean(),
  meaning: z.string().min(1),
});

const textEntrySchema = z.strictObject({
  /** Code reported for an anomaly (or fault) without code whose message contains `match`. */
  code: z.string().regex(CODE_KEY),
  match: z.string().min(5),
  retryable: z.boolean(),
  meaning: z.string().min(1),
});

/** Shape of `mappings/sne/anomalies.yaml`. */
export const anomalyTableSchema = z.strictObject({
  version: z.union([z.string().min(1), z.number().int().positive()]),
  /** Free note on the table's provenance (e.g. "to be aligned with the official table"). */
  status: z.string().optional(),
  codes: z.record(z.string().regex(CODE_KEY, 'codes must be upper-case letters, digits and _'), entrySchema),
  texts: z.array(textEntrySchema).default([]),
});

export interface AnomalyEntry {
  retryable: boolean;
  meaning: string;
}

export interface AnomalyTextEntry extends AnomalyEntry {
  code: string;
  match: string;
}

export interface AnomalyTable {
  version: string;
  codes: ReadonlyMap<string, AnomalyEntry>;
  texts: readonly AnomalyTextEntry[];
}

function tableInvalid(issues: Issue[], source: string): ValidationError {
  return new ValidationError(SneErrorCode.anomalyTableInvalid, issues, { system: SNE_SYSTEM, details: { source } });
}

/** Validates an already-parsed table (e.g. from a config bundle). Throws `ValidationError` listing every problem. */
export function parseAnomalyTable(data: unknown, source = 'anomaly table'): AnomalyTable {
  const r = anomalyTableSchema.safeParse(data);
  if (!r.success) {
    throw tableInvalid(
      r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), rule: `schema.${i.code}`, message: i.message })),
      source,
    );
  }
  return {
    version: String(r.data.version),
    codes: new Map(Object.entries(r.data.codes)),
    texts: r.data.texts,
  };
}

/** Reads and validates the anomaly table file (YAML). Throws `ValidationError` `SNE_ANOMALY_TABLE_INVALID`. */
export function loadAnomalyTable(path: string): AnomalyTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw tableInvalid([{ path: '', rule: 'file.readable', message: `cannot read the anomaly table (${code})` }], path);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    const where = (e as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    const pos = where ? ` at line ${where.line}, column ${where.col}` : '';
    throw tableInvalid([{ path: '', rule: 'yaml.syntax', message: `invalid YAML${pos}` }], path);
  }
  return parseAnomalyTable(data, path);
}

function children(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

/** Anomalies listed in a parsed `interfaceNuu` element (any namespace prefix). */
export function anomaliesOf(root: XmlElement): SneAnomaly[] {
  const out: SneAnomaly[] = [];
  let demandeIndex = 0;
  for (const demande of children(root, 'demande')) {
    for (const dl of children(demande, 'demandeLogement')) {
      for (const liste of children(dl, 'listeAnomalie')) {
        for (const a of liste.children) {
          const code = a.attributes.find((x) => x.local === 'code' && x.ns === '')?.value ?? '';
          const first = a.children[0];
          const message = (first ? first.text : a.text).trim();
          out.push({ code: code.trim(), message, demandeIndex });
        }
      }
      demandeIndex++;
    }
  }
  return out;
}

/** Anomalies of an `interfaceNuu` document given as text. Throws `ValidationError` if it is not well-formed XML. */
export function extractAnomalies(interfaceNuuXml: string): SneAnomaly[] {
  try {
    return anomaliesOf(parseXml(interfaceNuuXml).root);
  } catch (e) {
    if (e instanceof WireFormatError) {
      throw new ValidationError(SneErrorCode.malformedResponse, [{ path: 'interfaceNuu', rule: `xml.${e.rule}`, message: e.message }], { system: SNE_SYSTEM });
    }
    throw e;
  }
}

/** A code as it may be reported: printable, at most 64 characters. */
function reportableCode(raw: string): string {
  const t = raw.trim().replace(/[^\x21-\x7E]/g, '?');
  return t.length > 64 ? `${t.slice(0, 63)}…` : t;
}

interface Resolved {
  code: string;
  entry: AnomalyEntry | undefined;
}

function resolve(a: SneAnomaly, table: AnomalyTable): Resolved {
  const code = reportableCode(a.code);
  if (code) return { code, entry: table.codes.get(code) };
  const byText = table.texts.find((t) => a.message.includes(t.match));
  return byText ? { code: byText.code, entry: byText } : { code: '(no code)', entry: undefined };
}

export interface ClassifyAnomaliesContext {
  operation?: string;
}

/**
 * The error that anomalies amount to, or `undefined` when there are none: `SNE_ANOMALY`, transient when
 * every anomaly is known and marked retryable, permanent otherwise (an unknown code is permanent and is
 * reported as sent). Details list codes and table meanings, never the service's messages.
 */
export function classifyAnomalies(
  anomalies: readonly SneAnomaly[],
  table: AnomalyTable,
  context: ClassifyAnomaliesContext = {},
): GatewayError | undefined {
  if (!anomalies.length) return undefined;
  const resolved = anomalies.map((a) => resolve(a, table));
  const codes = [...new Set(resolved.map((r) => r.code))];
  const unknownCodes = [...new Set(resolved.filter((r) => !r.entry).map((r) => r.code))];
  const meanings = [...new Set(resolved.flatMap((r) => (r.entry ? [`${r.code}: ${r.entry.meaning}`] : [])))];
  const retryable = resolved.every((r) => r.entry?.retryable === true);
  const where = context.operation ? `SNE ${context.operation}` : 'SNE';
  const unknownNote = unknownCodes.length ? `; not in anomaly table v${table.version}: ${unknownCodes.join(', ')}` : '';
  const message = `${where}: ${anomalies.length} anomaly(ies) in the answer: ${codes.join(', ')}${unknownNote}`;
  const options = {
    system: SNE_SYSTEM,
    details: {
      ...(context.operation ? { operation: context.operation } : {}),
      count: anomalies.length,
      codes,
      unknownCodes,
      meanings,
      tableVersion: table.version,
    },
  };
  return retryable ? new TransientError(SneErrorCode.anomaly, message, options) : new PermanentError(SneErrorCode.anomaly, message, options);
}
