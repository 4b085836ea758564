/** The local shared-management tool, as the gateway reaches it: one client behind one small port. */
export { createLocalClient, type LocalClient, type LocalClientOptions, type PutOptions } from './client';
export { LocalConflictError, LocalErrorCode, LOCAL_SYSTEM, LOCAL_CODE_PREFIX } from './errors';
export {
  AckStatus,
  PutOutcome,
  type Acquittement,
  type DemandePage,
  type Evenement,
  type EvenementPage,
  type NewAcquittement,
  type NewEvenement,
  type PutResult,
  type StoredDemande,
} from './types';
