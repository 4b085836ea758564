/** Worker thread of the SNE simulator's index scan: scans its range, posts the result, ends. */
import { parentPort, workerData } from 'node:worker_threads';
import { scanRange, type ScanSpec } from './scan';

void scanRange(workerData as ScanSpec).then((result) => {
  if (!result) return;
  const buffers = [result.radiated.index, result.radiated.at, result.dalo.index, result.dalo.at, result.identities].map((a) => a.buffer as ArrayBuffer);
  parentPort?.postMessage(result, buffers);
});
