/** From a raw event of the local tool to a canonical one: local codes first, then validation. */
import type { Warning } from '../domain';
import { validateEvenement, type Evenement } from '../domain/evenement';
import { applyLocalCodes } from './local-codes';
import type { MappingTables } from './tables';
import type { Violation } from './types';

export type PreparedEvenement =
  | { ok: true; evenement: Evenement; warnings: Warning[] }
  | { ok: false; violations: Violation[] };

/**
 * From a raw event of the local tool to a canonical one: local codes translated, then validated. Its
 * violations are what the push pipeline dead-letters (unknown local code) or the event endpoint answers
 * with 422 (field errors).
 */
export function prepareEvenement(raw: unknown, tables: MappingTables): PreparedEvenement {
  const local = applyLocalCodes(raw, tables);
  if (!local.ok) return { ok: false, violations: local.violations };
  const v = validateEvenement(local.value);
  return v.ok ? { ok: true, evenement: v.evenement, warnings: v.warnings } : { ok: false, violations: v.issues };
}
