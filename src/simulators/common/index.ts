/** Plumbing shared by the simulators (local tool, SNE, SPTA): server, auth, faults, content identity. */
export { startHttpServer, type HttpServerOptions, type RunningHttpServer, type TlsOptions } from './http-server';
export { requireBearer, bearerTokenOf, constantTimeEquals } from './auth';
export {
  FaultInjector,
  FaultKind,
  faultSpecSchema,
  compilePathPattern,
  type FaultSpec,
  type ActiveFault,
  type FaultInjectorOptions,
} from './faults';
export { seededRng, type Rng } from './rng';
export { canonicalJson, sha256Hex } from './content-hash';
export { applyJsonPatch, jsonPatchSchema, JsonPatchError, type JsonPatch } from './json-patch';
export { silentLogger, type SimulatorLogger } from './logger';
