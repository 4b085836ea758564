/**
 * Loading the configuration: read the YAML file, apply the environment overrides, validate the whole
 * file in one pass, resolve secrets and paths, and return a frozen {@link Config} or every problem.
 * Never half-applied: a caller gets all of it or a {@link ConfigError}.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { Issue } from '../errors';
import { ConfigError } from './errors';
import { buildConfigSchema, type Config } from './schema';

/**
 * Environment variables that override a key of the file (deployment-specific values and secrets).
 * An empty variable counts as unset (compose files often pass `${VAR:-}`).
 */
export const ENV_OVERRIDES = [
  { env: 'REDIS_URL', path: ['redis', 'url'], kind: 'string' },
  { env: 'PASSERELLE_SNE_URL', path: ['sne', 'url'], kind: 'string' },
  { env: 'PASSERELLE_LOCAL_URL', path: ['local', 'url'], kind: 'string' },
  { env: 'PASSERELLE_LOCAL_TOKEN', path: ['local', 'token'], kind: 'secret' },
  { env: 'PASSERELLE_WEB_PORT', path: ['web', 'port'], kind: 'number' },
] as const;

export interface LoadConfigOptions {
  /** The YAML file; relative to `cwd`. */
  path: string;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Base of relative paths in the file (secret files, TLS files, folders). Defaults to `process.cwd()`. */
  cwd?: string;
}

export interface CheckConfigResult {
  /** Present only when there is no issue. */
  config?: Config;
  issues: Issue[];
  /** Absolute path of the file read. */
  path: string;
}

/** Validates a configuration file and lists every problem; never throws for a bad file. */
export function checkConfig(options: LoadConfigOptions): CheckConfigResult {
  const cwd = options.cwd ?? process.cwd();
  const path = resolvePath(cwd, options.path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : 'unreadable';
    return { path, issues: [{ path: '', rule: 'file-readable', message: `cannot read ${path} (${reason})` }] };
  }
  return { path, ...checkConfigText(text, { env: options.env ?? process.env, cwd }) };
}

/** Loads a configuration file: the frozen, resolved configuration, or a {@link ConfigError} with every problem. */
export function loadConfig(options: LoadConfigOptions): Config {
  const { config, issues } = checkConfig(options);
  if (!config || issues.length) throw new ConfigError(issues);
  return config;
}

/** Validates configuration text (YAML); `checkConfig` without the file read. */
export function checkConfigText(
  text: string,
  options: { env: NodeJS.ProcessEnv; cwd: string },
): { config?: Config; issues: Issue[] } {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    // The parser's own message quotes the source line (maybe a secret): keep its code and position only.
    const issues = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at ? ` at line ${at.line}, column ${at.col}` : '';
      return { path: '', rule: 'yaml', message: `YAML syntax error ${e.code}${where}` };
    });
    return { issues };
  }
  const js = toValues(doc);
  if ('issue' in js) return { issues: [js.issue] };
  const raw: unknown = js.value ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    return { issues: [{ path: '', rule: 'type', message: 'the file must hold a mapping of sections (redis, sne...)' }] };
  }
  const overridden = applyEnvOverrides(raw as Record<string, unknown>, options.env);
  const schema = buildConfigSchema({ env: options.env, cwd: options.cwd });
  const result = schema.safeParse(overridden.raw, { error: errorMap });
  if (!result.success) {
    // Cross-field problems come last from zod: list problems section by section, in the schema's order.
    const order = Object.keys(schema.shape);
    const rank = (i: Issue) => {
      const r = order.indexOf(i.path.split(/[.[]/)[0] ?? '');
      return r < 0 ? order.length : r;
    };
    return { issues: toIssues(result.error.issues, overridden.sources).sort((a, b) => rank(a) - rank(b)) }; // stable
  }
  return { config: deepFreeze(result.data) as Config, issues: [] };
}

/**
 * The document's values. The library throws while expanding aliases: past its limit on alias expansions
 * (alias and merge-key bombs), or for an alias without an anchor before it. Its messages may name an
 * anchor of the file, so they become issues of their own.
 */
function toValues(doc: Document.Parsed): { value: unknown } | { issue: Issue } {
  try {
    return { value: doc.toJS() };
  } catch (e) {
    const message = e instanceof Error ? e.message : '';
    if (/excessive alias count/i.test(message)) {
      return {
        issue: {
          path: '',
          rule: 'yaml-alias-limit',
          message: 'too many alias expansions: YAML anchors reused through aliases or merge keys expand past the limit; write the values out',
        },
      };
    }
    if (/unresolved alias/i.test(message)) {
      return { issue: { path: '', rule: 'yaml-alias', message: 'an alias (*name) refers to no anchor (&name) defined before it' } };
    }
    return { issue: { path: '', rule: 'yaml', message: 'the YAML document cannot be read into values' } };
  }
}

/** Applies {@link ENV_OVERRIDES} to a copy of the parsed file; remembers which paths came from where. */
function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { raw: Record<string, unknown>; sources: Map<string, string> } {
  const copy = structuredClone(raw);
  const sources = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const value = env[o.env];
    if (value === undefined || value === '') continue;
    const [section, key] = o.path;
    const existing = copy[section];
    if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) {
      continue; // the section itself is wrong: reported by the schema
    }
    const target = (existing ?? {}) as Record<string, unknown>;
    copy[section] = target;
    if (o.kind === 'secret') target[key] = { env: o.env };
    else if (o.kind === 'number') target[key] = /^\d+$/.test(value) ? Number(value) : value;
    else target[key] = value;
    sources.set(`${section}.${key}`, o.env);
  }
  return { raw: copy, sources };
}

const RULE_OF_CODE: Record<string, string> = {
  invalid_type: 'type',
  too_small: 'min',
  too_big: 'max',
  invalid_format: 'format',
  invalid_value: 'one-of',
  not_multiple_of: 'multiple-of',
  unrecognized_keys: 'unknown-key',
  invalid_union: 'one-of',
  invalid_key: 'key',
  invalid_element: 'element',
  custom: 'custom',
};

// Messages zod builds never echo the input (reportInput stays off); these two are clearer for a person.
const errorMap: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'invalid_type' && iss.input === undefined) return 'required';
  if (iss.code === 'invalid_type' && iss.expected === 'string' && typeof iss.input === 'number') {
    return 'expected a quoted string: YAML reads unquoted digits as a number (and drops leading zeros)';
  }
  return undefined;
};

/** Dotted path with indices: `spta[1].profile`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

function toIssues(zodIssues: readonly z.core.$ZodIssue[], sources: Map<string, string>): Issue[] {
  const issues: Issue[] = [];
  const push = (path: string, rule: string, message: string) => {
    const source = [...sources].find(([p]) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
    issues.push({ path, rule, message: source ? `${message} (from ${source[1]})` : message });
  };
  for (const iss of zodIssues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) push(formatPath([...iss.path, key]), 'unknown-key', 'unknown key (misspelt?)');
      continue;
    }
    const params = (iss as { params?: { rule?: unknown } }).params;
    const rule =
      typeof params?.rule === 'string'
        ? params.rule
        : iss.message === 'required'
          ? 'required'
          : (RULE_OF_CODE[iss.code] ?? iss.code);
    push(formatPath(iss.path), rule, iss.message);
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
