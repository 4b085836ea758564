/**
 * `--fail-on`: when a reconciliation's exit code says "findings" (1).
 *
 * Syntax: a comma-separated list of `NAME=MAX` terms (`MAX` a whole number, default 0 when `=MAX` is left
 * out); the run fails when a count is **above** its `MAX`. `NAME` is a category (`missing-local`,
 * `missing-source`, `divergent`, `changed-locally`, `push-pending`, `dead-letter`, `quarantined`,
 * `conflict`), a check (`attribution-not-reported`, `attribution-incomplete`, `delai-anormalement-long`,
 * `renewal-due`, `expired-not-radiated`, `attributed-not-housed`, `retention-exceeded`), or a group:
 * `categories`, `checks`, `all` (or `*`). Later terms win: `all=0,renewal-due=500`. `none` alone never
 * fails on findings.
 *
 * Default: every category at 0 except `push-pending` (work in flight), no check (checks list the team's
 * work of the day, not an error of the gateway).
 */
import { ValidationError, type Issue } from '../errors';
import { categories, Category, checks, isCategory, isCheck, type FindingKind } from './types';

export const DEFAULT_FAIL_ON = categories.filter((c) => c !== Category.pushPending).map((c) => `${c}=0`).join(',');

export interface Thresholds {
  /** The spec as given (for the report). */
  spec: string;
  limits: Map<FindingKind, number>;
}

export interface Exceeded {
  kind: FindingKind;
  count: number;
  max: number;
}

/** Parses a `--fail-on` value; every mistake is listed (path `--fail-on`, the term's position). */
export function parseFailOn(spec: string): Thresholds {
  const limits = new Map<FindingKind, number>();
  const text = spec.trim();
  if (text === 'none') return { spec: text, limits };
  const issues: Issue[] = [];
  text.split(',').forEach((raw, i) => {
    const term = raw.trim();
    const m = /^([a-z*-]+)(?:=(\d{1,9}))?$/.exec(term);
    const at = `--fail-on[${i}]`;
    if (!m) {
      issues.push({ path: at, rule: 'syntax', message: 'each term is NAME or NAME=MAX (MAX a whole number), separated by commas' });
      return;
    }
    const name = m[1]!;
    const max = m[2] === undefined ? 0 : Number(m[2]);
    let kinds: readonly FindingKind[];
    if (name === 'all' || name === '*') kinds = [...categories, ...checks];
    else if (name === 'categories') kinds = categories;
    else if (name === 'checks') kinds = checks;
    else if (isCategory(name) || isCheck(name)) kinds = [name];
    else {
      issues.push({ path: at, rule: 'known-name', message: `unknown name; one of ${[...categories, ...checks].join(', ')}, categories, checks, all` });
      return;
    }
    for (const k of kinds) limits.set(k, max);
  });
  if (!text) issues.push({ path: '--fail-on', rule: 'required', message: 'give terms like divergent=0,missing-local=10, or none' });
  if (issues.length) throw new ValidationError('RECONCILE_FAIL_ON_INVALID', issues, { system: 'reconcile' });
  return { spec: text, limits };
}

/** The counts above their limit. */
export function exceededThresholds(counts: Readonly<Record<FindingKind, number>>, t: Thresholds): Exceeded[] {
  const out: Exceeded[] = [];
  for (const [kind, max] of t.limits) {
    const count = counts[kind] ?? 0;
    if (count > max) out.push({ kind, count, max });
  }
  return out;
}
