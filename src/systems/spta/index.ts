/**
 * SPTAs (departmental registration systems copying the SNE, domain.md §1, §11) as the gateway reaches
 * them: `createSptaClient` implements the `DemandSystem` port for one configured SPTA, driven by its
 * profile under `mappings/spta/` (transport defaults, element renames, code translations).
 */
export { createSptaClient, sptaClientFromConfig, type SptaClient, type SptaClientOptions, type SptaClientDeps } from './client';
export { createSptaFileClient, returnFileName, type SptaFileClient, type SptaFileClientOptions } from './files';
export {
  checkSptaProfile,
  checkSptaProfiles,
  createSptaCodec,
  loadSptaProfile,
  DEFAULT_SPTA_PROFILES_DIR,
  EVENT_CODE_LISTS,
  RESERVED_ELEMENTS,
  SptaProfileSchema,
  type LoadSptaProfileOptions,
  type SptaProfile,
} from './profile';
export { renameBlocks, restamp, sptaTranslate } from './dialect';
export { SptaErrorCode, sptaSystemId } from './errors';
