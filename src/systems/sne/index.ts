/**
 * The SNE (national registration system) as the gateway reaches it: `createSneClient` implements the
 * `DemandSystem` port on top of the wire layer (`./wire`: SOAP 1.2 / XOP-MTOM, mutual TLS, error
 * classification, anomalies) and the `interfaceNuu` codec.
 */
export {
  createSneClient,
  sneClientFromConfig,
  createClockFileCounter,
  insertBlocks,
  parseListeDoublons,
  defaultAnomalyTablePath,
  DEFAULT_NOT_FOUND_CODES,
  PLACEHOLDER_CERTIFICATE,
  SneClientErrorCode,
  type SneClient,
  type SneClientOptions,
  type SneClientDeps,
  type FileCounter,
  type ClockFileCounterOptions,
} from './client';
export * as wire from './wire';
