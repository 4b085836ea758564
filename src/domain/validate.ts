/**
 * Validation of canonical demands: hard rules (zod) become `Issue`s with a path and a rule, soft rules
 * (unknown codes, unusual numéro unique shape) become warnings. Messages never quote the value.
 */
import { z } from 'zod';
import type { Issue } from '../errors';
import { codeLists, isKnownCode, type CodeListName } from './codes';
import { codeFieldRegistry, Demande } from './demande';

/** A soft problem: the record is accepted, and the problem reported. */
export interface Warning extends Issue {
  /** The code list, for unknown codes. */
  list?: CodeListName;
  /** The code itself: codes are not personal data, and operators need them to update a table. */
  code?: string;
}

export type ValidationResult =
  | { ok: true; demande: Demande; warnings: Warning[] }
  | { ok: false; issues: Issue[]; warnings: Warning[] };

export interface ValidateOptions {
  /** Check the usual layout of the numéro unique (warning only). Default true. */
  numUniqueShape?: boolean;
}

/** Formats a zod path as `demandeur.ressourcesRecues[1].montant`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Converts zod issues to ours; zod 4 messages name types and bounds, never the input value. */
export function issuesFromZod(error: z.ZodError, prefix = ''): Issue[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path);
    return {
      path: prefix && path ? `${prefix}.${path}` : prefix || path,
      rule: i.code === 'custom' ? 'rule' : i.code,
      message: i.message,
    };
  });
}

/** Validates and normalises one demand. */
export function validateDemande(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const parsed = Demande.safeParse(input);
  if (!parsed.success) {
    return { ok: false, issues: issuesFromZod(parsed.error), warnings: [] };
  }
  const warnings = codeWarnings(parsed.data);
  if (options.numUniqueShape !== false && parsed.data.numUnique !== undefined) {
    warnings.push(...numUniqueWarnings(parsed.data.numUnique));
  }
  return { ok: true, demande: parsed.data, warnings };
}

// ---- code checks, driven by the schema itself -------------------------------------------------------

type Step = { kind: 'key'; key: string } | { kind: 'each' };
interface CodePath {
  steps: Step[];
  list: CodeListName;
}

/** Finds every coded field of a schema once, as paths from the root. */
function collectCodePaths(schema: z.ZodType, steps: Step[], out: CodePath[]): void {
  const meta = codeFieldRegistry.get(schema);
  if (meta) {
    out.push({ steps, list: meta.list });
    return;
  }
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    collectCodePaths(schema.unwrap() as z.ZodType, steps, out);
  } else if (schema instanceof z.ZodArray) {
    collectCodePaths(schema.element as z.ZodType, [...steps, { kind: 'each' }], out);
  } else if (schema instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(schema.shape)) {
      collectCodePaths(child as z.ZodType, [...steps, { kind: 'key', key }], out);
    }
  } else if (schema instanceof z.ZodPipe) {
    collectCodePaths(schema.in as z.ZodType, steps, out);
  }
}

const demandeCodePaths: CodePath[] = [];
collectCodePaths(Demande, [], demandeCodePaths);

/** Every coded field of the demand model with its list, e.g. `demandeur.civilite` -> `civilite`. */
export function codedFields(): Array<{ path: string; list: CodeListName }> {
  return demandeCodePaths.map((p) => ({
    path: p.steps.map((s) => (s.kind === 'key' ? s.key : '[]')).join('.').replace(/\.\[\]/g, '[]'),
    list: p.list,
  }));
}

function visit(value: unknown, steps: Step[], at: number, path: string, found: (v: string, path: string) => void): void {
  if (value === undefined || value === null) return;
  if (at === steps.length) {
    if (typeof value === 'string') found(value, path);
    return;
  }
  const step = steps[at]!;
  if (step.kind === 'each') {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => visit(item, steps, at + 1, `${path}[${i}]`, found));
  } else if (typeof value === 'object') {
    const next = (value as Record<string, unknown>)[step.key];
    visit(next, steps, at + 1, path ? `${path}.${step.key}` : step.key, found);
  }
}

/** Warnings for every code of a (parsed) demand that is not in its list. */
export function codeWarnings(demande: Demande): Warning[] {
  const warnings: Warning[] = [];
  for (const cp of demandeCodePaths) {
    visit(demande, cp.steps, 0, '', (value, path) => {
      if (!isKnownCode(cp.list, value)) {
        warnings.push({
          path,
          rule: 'unknown-code',
          list: cp.list,
          code: value,
          message: `code not in list ${cp.list} (${Object.keys(codeLists[cp.list]).length} known codes); kept as is`,
        });
      }
    });
  }
  return warnings;
}

/**
 * The usual layout (domain.md §5, [likely]): 3 territory + 2 month + 2 year + 6 sequence + 5 desk code
 * (`G` + 4 digits, or a mnemonic such as `GDPUB`). A different shape is reported, not rejected.
 */
export const NUM_UNIQUE_USUAL = /^\d{3}(0[1-9]|1[0-2])\d{2}\d{6}G[A-Z0-9]{4}$/;

export function numUniqueWarnings(numUnique: string): Warning[] {
  if (NUM_UNIQUE_USUAL.test(numUnique)) return [];
  return [
    {
      path: 'numUnique',
      rule: 'numunique-shape',
      message: 'numéro unique has an unusual layout (expected 18 characters: territory, month, year, sequence, desk)',
    },
  ];
}
