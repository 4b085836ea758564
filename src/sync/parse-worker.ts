/**
 * Worker thread: parses and validates demand fragments split from a dispatch file. The codec is compiled
 * once per thread from `workerData` (element table and dialect), then each message is a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createInterfaceNuuCodec, loadElementTable, type DemandeResult, type StreamItem } from '../codec';
import type { ParseWorkerData } from './parse-pool';

const data = workerData as ParseWorkerData;
const codec = createInterfaceNuuCodec({
  elements: loadElementTable(data.elementTablePath),
  ...(data.renames ? { renames: data.renames } : {}),
  ...(data.codeTranslations ? { codeTranslations: data.codeTranslations } : {}),
});

parentPort?.on('message', (msg: { id: number; input: StreamItem[] }) => {
  try {
    const output: DemandeResult[] = msg.input.map((item) => codec.parseFragment(item.xml, item));
    parentPort?.postMessage({ id: msg.id, output });
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: e instanceof Error ? `${e.name}` : 'error' });
  }
});
