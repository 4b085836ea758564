/**
 * Parsing of dispatch-file fragments, in worker threads when there are cores to spare (XML parsing is
 * ~75 % of a pull, perf-notes.md), or inline.
 */
import { join } from 'node:path';
import type { CodeTranslations, DemandeResult, InterfaceNuuCodec, StreamItem } from '../codec';
import { WorkerPool } from './worker-pool';

export interface ParseWorkerData {
  elementTablePath: string;
  renames?: Record<string, string>;
  codeTranslations?: CodeTranslations;
}

export interface FragmentParser {
  parse(items: StreamItem[]): Promise<DemandeResult[]>;
  close(): Promise<void>;
}

/** Parses in `threads` worker threads (0: in this thread, with the given codec). */
export function createFragmentParser(options: { threads: number; codec: InterfaceNuuCodec; workerData: ParseWorkerData }): FragmentParser {
  if (options.threads <= 0) {
    return {
      parse: async (items) => items.map((item) => options.codec.parseFragment(item.xml, item)),
      close: async () => undefined,
    };
  }
  const pool = new WorkerPool<StreamItem[], DemandeResult[]>({
    script: join(__dirname, 'parse-worker'),
    size: options.threads,
    workerData: options.workerData,
  });
  return { parse: (items) => pool.run(items), close: () => pool.close() };
}
