/**
 * Worker thread: parses and validates demand fragments split from a dispatch file. The codec is compiled
 * once per thread from `workerData` (element table and dialect), then each message is a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createInterfaceNuuCodec, loadElementTable, type StreamItem } from '../codec';
import { forTransfer, parsedFragment, type ParseWorkerData, type ParsedFragment } from './parse-pool';

const data = workerData as ParseWorkerData;
const codec = createInterfaceNuuCodec({
  elements: loadElementTable(data.elementTablePath),
  ...(data.renames ? { renames: data.renames } : {}),
  ...(data.codeTranslations ? { codeTranslations: data.codeTranslations } : {}),
});

parentPort?.on('message', (msg: { id: number; input: StreamItem[] }) => {
  try {
    // Hashing here too: it is CPU work the main thread then does not do.
    const output: ParsedFragment[] = msg.input.map((item) => forTransfer(parsedFragment(codec, item)));
    parentPort?.postMessage({ id: msg.id, output });
  } catch (e) {
    parentPort?.postMessage({ id: msg.id, error: e instanceof Error ? `${e.name}` : 'error' });
  }
});
