/** The local-tool simulator (reference implementation of the local API) and its pieces. */
export { startLocalSimulator, type LocalSimulatorOptions, type RunningLocalSimulator } from './server';
export { createLocalApp, encodeCursor, decodeCursor, parseIfMatch, PAGE_LIMIT, type LocalAppOptions } from './app';
export {
  LocalStore,
  PutOutcome,
  ConflictReason,
  AckStatus,
  type StoredDemande,
  type StoredDemandeRow,
  type IfMatch,
  type PutResult,
  type Evenement,
  type NewEvenement,
  type Acquittement,
  type NewAcquittement,
  type SimStats,
  type LocalStoreOptions,
} from './store';
export {
  protocolIssues,
  acceptAnyRecord,
  issuesFromZod,
  NUM_UNIQUE_PATTERN,
  EVENT_ID_PATTERN,
  type RecordValidator,
} from './validation';
