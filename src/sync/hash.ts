/**
 * Content hashes of canonical records. A parsed record's keys are in schema order (see domain/demande.ts),
 * so plain `JSON.stringify` is canonical; records from elsewhere (a local tool's JSON) are parsed first.
 */
import { createHash } from 'node:crypto';
import { Demande } from '../domain';

/** sha256 hex of a record already parsed by the canonical schema (or of its `JSON.stringify` text). */
export function contentHash(demande: Demande | string): string {
  return createHash('sha256').update(typeof demande === 'string' ? demande : JSON.stringify(demande)).digest('hex');
}

/** Hash of any record, normalised by the canonical schema first; undefined when it is not a valid demand. */
export function normalisedHash(record: unknown): string | undefined {
  const parsed = Demande.safeParse(record);
  return parsed.success ? contentHash(parsed.data) : undefined;
}
