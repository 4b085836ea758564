/**
 * Parsing of dispatch-file fragments, in worker threads when there are cores to spare (XML parsing is
 * ~75 % of a pull, perf-notes.md), or inline.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { contentHash } from './hash';
import { CodecError, type CodeTranslations, type DemandeResult, type InterfaceNuuCodec, type StreamItem } from '../codec';
import { WorkerPool } from './worker-pool';

export interface ParseWorkerData {
  elementTablePath: string;
  renames?: Record<string, string>;
  codeTranslations?: CodeTranslations;
}

/** A parsed fragment, with the hashes the pipeline needs (computed where the parsing happens). */
export interface ParsedFragment {
  result: DemandeResult;
  /** sha256 of the canonical demand, when valid. */
  hash?: string;
  /** The canonical demand as JSON, when valid: the text `hash` is of, and what the local tool is sent. */
  json?: string;
  /** The valid demand's numéro unique (read without parsing the JSON back). */
  numUnique?: string;
  /** sha256 of the fragment as received. */
  rawHash: string;
}

/**
 * A demand that is not well-formed XML (a bad reference, a mismatched tag: faults only its own parsing
 * sees) is one refused record, quarantined with the fault's position; the rest of the page goes on.
 */
function malformed(item: StreamItem, e: CodecError): DemandeResult {
  const nu = NUM_UNIQUE.exec(item.xml)?.[1];
  return {
    index: item.index,
    ok: false,
    issues: [{ path: '(xml)', rule: e.code.toLowerCase().replace(/_/g, '-'), message: e.message }],
    warnings: [],
    anomalies: [],
    ...(nu ? { numUnique: nu } : {}),
  };
}

const NUM_UNIQUE = /<(?:\w+:)?numUnique>\s*([0-9A-Za-z]{1,40})\s*</;

export function parsedFragment(codec: InterfaceNuuCodec, item: StreamItem): ParsedFragment {
  let result: DemandeResult;
  try {
    result = codec.parseFragment(item.xml, item);
  } catch (e) {
    if (!(e instanceof CodecError)) throw e;
    result = malformed(item, e);
  }
  const json = result.ok ? JSON.stringify(result.demande) : undefined;
  return {
    result,
    ...(json === undefined ? {} : { json, hash: contentHash(json) }),
    ...(result.ok && result.demande.numUnique ? { numUnique: result.demande.numUnique } : {}),
    rawHash: createHash('sha256').update(item.xml).digest('hex'),
  };
}

/**
 * What a parsing thread posts back: a valid demand crosses as its JSON text only (a string is copied
 * at memory speed, an object graph is cloned node by node, on both sides).
 */
export function forTransfer(p: ParsedFragment): ParsedFragment {
  return p.result.ok && p.json !== undefined ? { ...p, result: { ...p.result, demande: undefined as never } } : p;
}

/** The inverse of `forTransfer`: the demand is parsed back from its JSON when something reads it. */
export function fromTransfer(p: ParsedFragment): ParsedFragment {
  const { result, json } = p;
  if (!result.ok || result.demande !== undefined || json === undefined) return p;
  let demande: unknown;
  Object.defineProperty(result, 'demande', {
    enumerable: true,
    configurable: true,
    get: () => (demande ??= JSON.parse(json)),
  });
  return p;
}

export interface FragmentParser {
  parse(items: StreamItem[]): Promise<ParsedFragment[]>;
  close(): Promise<void>;
}

/** Parses in `threads` worker threads (0: in this thread, with the given codec). */
export function createFragmentParser(options: { threads: number; codec: InterfaceNuuCodec; workerData: ParseWorkerData }): FragmentParser {
  if (options.threads <= 0) {
    return {
      parse: async (items) => items.map((item) => parsedFragment(options.codec, item)),
      close: async () => undefined,
    };
  }
  const pool = new WorkerPool<StreamItem[], ParsedFragment[]>({
    script: join(__dirname, 'parse-worker'),
    size: options.threads,
    workerData: options.workerData,
  });
  return { parse: async (items) => (await pool.run(items)).map(fromTransfer), close: () => pool.close() };
}
