/**
 * Stable codes of the SPTA connector's own errors. Errors of the SNE protocol it reuses keep their
 * `SNE_*` codes (the retry rules gate on them) and carry `system: 'spta:<id>'`.
 */
export const SptaErrorCode = {
  /** A profile under `mappings/spta/` is missing or invalid (permanent, at start-up). */
  profileInvalid: 'SPTA_PROFILE_INVALID',
  /** An operation the configured transport cannot carry (reads on a file exchange): permanent. */
  unsupported: 'SPTA_UNSUPPORTED',
  /** The demand file could not be put in the exchange folder: nothing was delivered (transient). */
  dropWrite: 'SPTA_DROP_WRITE',
  /** The file was delivered and no return came in time: it may have been applied (ambiguous). */
  noReturn: 'SPTA_NO_RETURN',
  /** A return file that cannot be read: the write may have been applied (ambiguous). */
  returnUnreadable: 'SPTA_RETURN_UNREADABLE',
  /** A configuration entry the connector cannot use (no url, no dropDir), or a closed client: permanent. */
  config: 'SPTA_CONFIG',
} as const;
export type SptaErrorCode = (typeof SptaErrorCode)[keyof typeof SptaErrorCode];

/** The system id of an SPTA: `spta:<config id>`. */
export function sptaSystemId(id: string): string {
  return `spta:${id}`;
}
