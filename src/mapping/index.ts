/**
 * The regulation as code: pure, table-driven mapping of the local tool's events to the SNE (and, through
 * a profile, to an SPTA dialect). Tables live under `mappings/` and are loaded whole by `loadMappings`.
 */
export * from './types';
export * from './tables';
export * from './load';
export * from './local-codes';
export * from './decision-cal';
export * from './rpls';
export * from './reservataires';
export * from './radiation';
export * from './changes';
export * from './prepare';
export * from './sne';
export * from './spta';
