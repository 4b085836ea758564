/** Shapes shared by the mapping modules: their results, their violations, and the blocks they build. */
import type { Issue } from '../errors';

/**
 * A rule the input breaks. The message names the field and the rule, never the value; `code` carries an
 * unknown code as sent (codes are not personal data, and an operator needs it to edit the table), and
 * `table` the file to edit (relative to the mappings folder).
 */
export interface Violation extends Issue {
  table?: string;
  code?: string;
}

/** What a mapping module returns: the mapped value, or every rule violation found. */
export type MapResult<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };

export function mapped<T>(value: T): MapResult<T> {
  return { ok: true, value };
}

export function violated<T = never>(violations: Violation[]): MapResult<T> {
  return { ok: false, violations };
}

/** Prefixes the paths of issues (`decision.rang` -> `payload.decision.rang`). */
export function under<T extends Issue>(prefix: string, issues: readonly T[]): T[] {
  if (!prefix) return [...issues];
  return issues.map((i) => ({ ...i, path: i.path ? `${prefix}.${i.path}` : prefix }));
}

/**
 * One element of a block the codec writes into a demand: a name, attributes (a coded value travels as a
 * `code` attribute on an empty element), a text or children. `list` marks a coded element with its code
 * list, so an SPTA profile can translate it; the writer ignores it.
 */
export interface BlockNode {
  name: string;
  attributes?: Record<string, string>;
  text?: string;
  children?: BlockNode[];
  list?: string;
}
