/**
 * Field schemas of the configuration that need more than a type: secrets resolved from the environment
 * or a file, file paths that must be readable, cron expressions, URLs, codes with a shape.
 *
 * Every problem is reported as a zod issue with `params.rule`, so the loader lists it with its path.
 * Messages name the rule and, at most, an environment variable or file name: never a value (a value may
 * be a secret or a URL with credentials).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { validate as validateCron, validateDetailed as validateCronDetailed } from 'node-cron';
import { z } from 'zod';

/** Where relative paths and secrets are resolved from. */
export interface ResolveContext {
  env: NodeJS.ProcessEnv;
  /**
   * Base of every relative path of the file (secret files, TLS files, directories): the current working
   * directory, not the configuration file's directory. One rule for all paths, and the simplest for the
   * demo, which runs from the repository root and writes `.passerelle/secrets/*` there.
   */
  cwd: string;
}

type Ctx = z.core.$RefinementCtx<unknown>;

/** Adds an issue with a stable rule name. */
export function fail(ctx: Ctx, rule: string, message: string, path?: PropertyKey[]): void {
  ctx.addIssue({ code: 'custom', message, params: { rule }, ...(path ? { path } : {}) });
}

/** A string matching `re`, reported under `rule` with `message` (the value is never echoed). */
export function pattern(re: RegExp, rule: string, message: string) {
  return z.string().refine((s) => re.test(s), { message, params: { rule } });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A secret: written `{ env: VAR_NAME }` or `{ file: path }`, never literally, without default; resolved
 * to a plain string (file contents trimmed). `check` may add a rule on the resolved value.
 */
export function secret(rc: ResolveContext, check?: (value: string) => { rule: string; message: string } | undefined) {
  return z.unknown().transform((input, ctx): string => {
    if (input === undefined || input === null) {
      fail(ctx, 'required', 'required: a secret written { env: VAR_NAME } or { file: path }');
      return z.NEVER;
    }
    if (typeof input !== 'object' || Array.isArray(input)) {
      fail(ctx, 'secret-ref', 'a secret is never written literally: write { env: VAR_NAME } or { file: path }');
      return z.NEVER;
    }
    const ref = input as Record<string, unknown>;
    const keys = Object.keys(ref);
    const envName = ref.env;
    const file = ref.file;
    if (keys.length !== 1 || (typeof envName !== 'string' && typeof file !== 'string')) {
      fail(ctx, 'secret-ref', 'a secret is exactly one of { env: VAR_NAME } or { file: path }');
      return z.NEVER;
    }
    let value: string;
    if (typeof envName === 'string') {
      if (!ENV_NAME.test(envName)) {
        fail(ctx, 'secret-ref', 'env must name an environment variable (letters, digits, underscore)');
        return z.NEVER;
      }
      const raw = rc.env[envName];
      if (raw === undefined || raw.trim() === '') {
        fail(ctx, 'secret-env', `environment variable ${envName} is not set or empty`);
        return z.NEVER;
      }
      value = raw.trim();
    } else {
      const abs = resolvePath(rc.cwd, file as string);
      try {
        value = readFileSync(abs, 'utf8').trim();
      } catch (e) {
        fail(ctx, 'secret-file', `cannot read secret file ${abs} (${errnoOf(e)})`);
        return z.NEVER;
      }
      if (value === '') {
        fail(ctx, 'secret-file', `secret file ${abs} is empty`);
        return z.NEVER;
      }
    }
    const problem = check?.(value);
    if (problem) {
      fail(ctx, problem.rule, problem.message);
      return z.NEVER;
    }
    return value;
  });
}

/** At least `min` characters: for secrets this gateway generates (HMAC secrets, API tokens). */
export const minLength = (min: number) => (value: string) =>
  value.length >= min ? undefined : { rule: 'secret-length', message: `must be at least ${min} characters long` };

/** An AES-256 key: 32 bytes written in base64. */
export const aes256Key = (value: string) => {
  const ok = /^[A-Za-z0-9+/]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
  return ok ? undefined : { rule: 'aes-256-key', message: 'must be 32 random bytes written in base64 (44 characters)' };
};

function errnoOf(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : 'unreadable';
}

/** A file that must exist and be readable (TLS material); resolved to an absolute path. */
export function readableFile(rc: ResolveContext) {
  return z
    .string()
    .min(1)
    .transform((p, ctx) => {
      const abs = resolvePath(rc.cwd, p);
      try {
        if (!statSync(abs).isFile()) {
          fail(ctx, 'file-readable', `${abs} is not a file`);
          return z.NEVER;
        }
        accessSync(abs, constants.R_OK);
      } catch (e) {
        fail(ctx, 'file-readable', `cannot read ${abs} (${errnoOf(e)})`);
        return z.NEVER;
      }
      return abs;
    });
}

/**
 * A directory the gateway reads or writes; resolved to an absolute path. It may not exist yet (the
 * gateway creates it), but if something is there it must be a directory.
 */
export function directory(rc: ResolveContext) {
  return z
    .string()
    .min(1)
    .transform((p, ctx) => {
      const abs = resolvePath(rc.cwd, p);
      try {
        if (!statSync(abs).isDirectory()) fail(ctx, 'directory', `${abs} exists and is not a directory`);
      } catch {
        // Absent: created at start.
      }
      return abs;
    });
}

/** A URL with one of the given protocols (`http:`, `https:`...). */
export function url(protocols: string[]) {
  const list = protocols.map((p) => `${p}//`).join(' or ');
  return z.string().refine(
    (s) => {
      if (!URL.canParse(s)) return false;
      return protocols.includes(new URL(s).protocol);
    },
    { message: `must be a URL starting with ${list}`, params: { rule: 'url' } },
  );
}

export const httpUrl = () => url(['http:', 'https:']);

/**
 * A schedule: a node-cron expression (5 fields, or 6 with seconds), or `false`/`off`/`null` to disable it.
 * Absent: the default. Resolved to the expression or `null` (disabled).
 */
export function schedule(defaultExpression: string | null) {
  return z
    .unknown()
    .optional()
    .transform((input, ctx): string | null => {
      if (input === undefined) return defaultExpression;
      if (input === null || input === false || input === 'off') return null;
      if (typeof input !== 'string') {
        fail(ctx, 'type', 'expected a cron expression, or false (or off) to disable');
        return z.NEVER;
      }
      if (!validateCron(input)) {
        const fields = validateCronDetailed(input).errors.map((e) => e.field);
        const where = fields.length ? ` (${[...new Set(fields)].join(', ')})` : '';
        fail(ctx, 'cron', `invalid cron expression${where}`);
        return z.NEVER;
      }
      return input;
    });
}

/** An IANA time zone name known to this Node (`Europe/Paris`). */
export function timeZone() {
  return z.string().refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'unknown time zone (expected an IANA name such as Europe/Paris)', params: { rule: 'timezone' } },
  );
}

export const positiveInt = () => z.number().int().positive();
export const nonNegativeInt = () => z.number().int().nonnegative();

/** `{ max, durationMs }`: at most `max` requests per `durationMs` (a BullMQ limiter). */
export const rateLimit = (defaults: { max: number; durationMs: number }) =>
  z
    .strictObject({ max: positiveInt().default(defaults.max), durationMs: positiveInt().default(defaults.durationMs) })
    .prefault({});
