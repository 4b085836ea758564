/**
 * Parsing of dispatch-file fragments, in worker threads when there are cores to spare (XML parsing is
 * ~75 % of a pull, perf-notes.md), or inline.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { contentHash } from './hash';
import type { CodeTranslations, DemandeResult, InterfaceNuuCodec, StreamItem } from '../codec';
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
  /** sha256 of the fragment as received. */
  rawHash: string;
}

export function parsedFragment(codec: InterfaceNuuCodec, item: StreamItem): ParsedFragment {
  const result = codec.parseFragment(item.xml, item);
  return {
    result,
    ...(result.ok ? { hash: contentHash(result.demande) } : {}),
    rawHash: createHash('sha256').update(item.xml).digest('hex'),
  };
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
  return { parse: (items) => pool.run(items), close: () => pool.close() };
}
