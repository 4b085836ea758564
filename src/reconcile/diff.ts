/**
 * Field-by-field comparison of two demands (any JSON values): the paths of the leaves that differ, in
 * the canonical notation of issues (`demandeur.adressePostale.codePostal`, `labels[1].date`). Values are
 * kept only when asked (`--show-values`): a report names fields, never their personal values.
 */

export interface FieldDiff {
  paths: string[];
  /** More leaves differed than `max`. */
  truncated: boolean;
  /** Only with `values: true`: source and local value per path (absent side: undefined). */
  values?: Record<string, { source?: unknown; local?: unknown }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

/** The leaves that differ between `source` and `local`, up to `max` (default 100). */
export function diffFields(source: unknown, local: unknown, options: { max?: number; values?: boolean } = {}): FieldDiff {
  const max = options.max ?? 100;
  const paths: string[] = [];
  const values: Record<string, { source?: unknown; local?: unknown }> | undefined = options.values ? {} : undefined;
  let truncated = false;

  const record = (path: string, a: unknown, b: unknown): void => {
    if (paths.length >= max) {
      truncated = true;
      return;
    }
    paths.push(path || '(record)');
    if (values) values[path || '(record)'] = { ...(a === undefined ? {} : { source: a }), ...(b === undefined ? {} : { local: b }) };
  };

  const walk = (a: unknown, b: unknown, path: string): void => {
    if (truncated) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) walk(a[k], b[k], join(path, k));
      return;
    }
    if (a === b) return;
    // A leaf that differs, a block present on one side only, or shapes that do not match: one path.
    if (JSON.stringify(a) !== JSON.stringify(b)) record(path, a, b);
  };

  walk(source, local, '');
  return { paths, truncated, ...(values ? { values } : {}) };
}
