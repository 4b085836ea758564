/** The SNE simulator (a strict stand-in of the SNE web service) and its pieces. */
export {
  startSneSimulator,
  type SneSimulatorOptions,
  type SneSimulatorTls,
  type RunningSneSimulator,
  type WriteDispatchFileOptions,
  type DispatchResult,
} from './server';
export { createSneApp, operationOfContentType, type SneAppOptions } from './app';
export { SneService, SimAnomaly, UNEXPECTED_ERROR_TEXT, dayOf, type SneServiceOptions, type SimAnomalyItem } from './service';
export { SneStore, ChangeKind, type SneRecord, type SneStats, type SneStoreOptions, type WriteLogEntry } from './store';
export { dayStart, foldName, identityKey, scanRange, type ScanSpec, type ScanResult } from './scan';
export { DispatchWriter, type DispatchWriterOptions, type WriteDispatchOptions, type WrittenDispatchFile } from './dispatch';
