/**
 * The whole configuration file as one zod schema. Built per load because secrets and file checks depend
 * on the environment and the working directory ({@link ResolveContext}); its output is the resolved
 * {@link Config}: secrets as plain strings, relative paths made absolute, defaults filled in.
 *
 * Every object is strict: an unknown key (often a typo) is a problem, not silently ignored.
 */
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import {
  aes256Key,
  directory,
  fail,
  httpUrl,
  minLength,
  nonNegativeInt,
  pattern,
  positiveInt,
  rateLimit,
  readableFile,
  schedule,
  secret,
  timeZone,
  url,
  type ResolveContext,
} from './fields';
import { LogFormat, LogLevel } from '../logging/logger';
import { parseScryptHash } from './password';

export const Role = { viewer: 'viewer', operator: 'operator' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const SptaTransport = { webservice: 'webservice', files: 'files' } as const;
export type SptaTransport = (typeof SptaTransport)[keyof typeof SptaTransport];

export const NumUniqueCheck = { warn: 'warn', off: 'off' } as const;
export type NumUniqueCheck = (typeof NumUniqueCheck)[keyof typeof NumUniqueCheck];

// Unquoted digits are numbers in YAML (`01` even loses its zero): codes must be quoted strings.
const DEPARTMENT = /^(?:0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8])$/;
const INSEE_COMMUNE = /^(?:\d{5}|2[AB]\d{3})$/;
const GUICHET = /^G[0-9A-Z]{4}$/;
const IDENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** TLS material for a client (mutual TLS): certificate and key, optional private CA. */
const tls = (rc: ResolveContext) =>
  z.strictObject({ cert: readableFile(rc), key: readableFile(rc), ca: readableFile(rc).optional() });

/** Builds the schema of the configuration file for one load. */
export function buildConfigSchema(rc: ResolveContext) {
  const redis = z.strictObject({
    url: url(['redis:', 'rediss:']),
    /** Prefix of every key (BullMQ queues, ledger, cursors): several gateways can share one Redis. */
    prefix: pattern(/^[A-Za-z0-9_.-]{1,40}$/, 'redis-prefix', 'letters, digits, dot, dash or underscore (max 40)'),
  });

  const sne = z.strictObject({
    /** SOAP endpoint of the SNE (`https://...`; the simulator on loopback in the demo). */
    url: httpUrl(),
    /** Registration desk code of this gateway (`G0123`, or a mnemonic like `GDPUB`). */
    guichet: pattern(GUICHET, 'guichet', "a registration desk code: 'G' and 4 digits or capitals (G0123)"),
    /** Client certificate for mutual TLS; the certificate name sent to the SNE is derived elsewhere. */
    tls: tls(rc).optional(),
    timeoutMs: positiveInt().default(30_000),
    rateLimit: rateLimit({ max: 5, durationMs: 1000 }),
    /** `versionInterface` of the files sent (`02.01`: XSD InterfaceNuu_v0201). */
    interfaceVersion: pattern(/^\d{2}\.\d{2}$/, 'interface-version', "a quoted version like '02.01'").default('02.01'),
    /** Shape check of numéros uniques: `warn` reports odd shapes without rejecting (national number). */
    numUniqueCheck: z.enum(NumUniqueCheck).default('warn'),
  });

  const spta = z.strictObject({
    /** Identifier of this SPTA in queues, logs and metrics (`35`): unique. */
    id: pattern(IDENT, 'ident', 'letters, digits, dash or underscore (max 32), quoted if digits only'),
    /** Name of a profile under `mappings/spta/` (dialect of this SPTA); checked by the mapping loader. */
    profile: pattern(/^[a-z0-9][a-z0-9-]{0,63}$/, 'profile-name', 'a profile name: lower-case letters, digits, dash'),
    /** Web service endpoint; required with `transport: webservice`. */
    url: httpUrl().optional(),
    transport: z.enum(SptaTransport).default('webservice'),
    /** Folder the SPTA's files are exchanged through; required with `transport: files`. */
    dropDir: directory(rc).optional(),
    tls: tls(rc).optional(),
    timeoutMs: positiveInt().default(30_000),
    rateLimit: rateLimit({ max: 5, durationMs: 1000 }),
  });

  const local = z.strictObject({
    /** Base URL of the local shared-management tool's HTTP API. */
    url: httpUrl(),
    /** Bearer token the gateway presents to the local tool. */
    token: secret(rc),
    timeoutMs: positiveInt().default(15_000),
    /** Records per page when reading the local tool's feeds. */
    pageSize: positiveInt().max(5000).default(500),
  });

  const territory = z.strictObject({
    department: pattern(DEPARTMENT, 'department', "a quoted department code: '35', '2A', '974'"),
    epci: z
      .strictObject({
        siren: pattern(/^\d{9}$/, 'siren', 'a quoted SIREN of 9 digits'),
        name: z.string().min(1).max(200),
      })
      .optional(),
    /** Waiting time fixed by prefectoral order past which a demand may go to the DALO commission. */
    delaiAnormalementLongMonths: positiveInt().max(240),
    /** INSEE codes of the communes of the territory (5 characters, `2A004` in Corsica). */
    communes: z
      .array(pattern(INSEE_COMMUNE, 'insee-commune', "a quoted INSEE commune code: '35238', '2A004'"))
      .optional(),
  });

  const dispatch = z
    .strictObject({
      /** Where DIS dispatch files arrive. */
      dropDir: directory(rc).default(resolvePath(rc.cwd, '.passerelle/dispatch/in')),
      doneDir: directory(rc).default(resolvePath(rc.cwd, '.passerelle/dispatch/done')),
      rejectedDir: directory(rc).default(resolvePath(rc.cwd, '.passerelle/dispatch/rejected')),
      /** A file unchanged for this long is complete (writers do not always rename atomically). */
      stableMs: nonNegativeInt().default(2000),
    })
    .prefault({});

  const schedules = z
    .strictObject({
      /** `getDemandesRadieesDepuisLe` poll. */
      radiees: schedule('*/15 * * * *'),
      /** `getNouveauxDaloDepuisLe` poll. */
      dalo: schedule('*/15 * * * *'),
      /** Scan of the dispatch drop folder. */
      dispatchScan: schedule('* * * * *'),
      /** Read of the local tool's event feed. */
      localEvents: schedule('* * * * *'),
      /** Nightly reconciliation. */
      reconcile: schedule('30 2 * * *'),
      timezone: timeZone().default('Europe/Paris'),
    })
    .prefault({});

  const queues = z
    .strictObject({
      concurrency: z
        .strictObject({
          pull: positiveInt().max(100).default(4),
          deliver: positiveInt().max(100).default(8),
          push: positiveInt().max(100).default(4),
        })
        .prefault({}),
      /** Attempts of a transient failure before the job is parked as a dead letter. */
      attempts: positiveInt().max(100).default(8),
      /** Exponential backoff with jitter between `baseMs` and `maxMs`. */
      backoff: z
        .strictObject({ baseMs: positiveInt().default(1000), maxMs: positiveInt().default(300_000) })
        .prefault({}),
      /** Per target: opens after `failureThreshold` consecutive transient failures, half-opens after `openMs`. */
      circuit: z
        .strictObject({ failureThreshold: positiveInt().default(5), openMs: positiveInt().default(60_000) })
        .prefault({}),
      /** `worker.close()` has no deadline of its own. */
      shutdownDeadlineMs: positiveInt().default(30_000),
      /** A job whose worker stopped renewing its lock this long ago is taken back (a crashed worker). */
      lockDurationMs: positiveInt().default(30_000),
      /** How often workers look for such stalled jobs. */
      stalledIntervalMs: positiveInt().default(15_000),
    })
    .prefault({});

  const crypto = z.strictObject({
    /** AES-256-GCM keys protecting job payloads; keep old keys until their payloads are gone. */
    keys: z
      .array(
        z.strictObject({
          id: pattern(IDENT, 'ident', 'letters, digits, dash or underscore (max 32)'),
          secret: secret(rc, aes256Key),
        }),
      )
      .min(1),
    /** Key that encrypts new payloads; must be one of `keys`. */
    activeKeyId: z.string().min(1),
  });

  const events = z.strictObject({
    /** HMAC secret signing the local tool's event notifications. */
    hmacSecret: secret(rc, minLength(32)),
    /** Accepted clock skew of a signed event. */
    timestampToleranceSeconds: positiveInt().default(300),
  });

  const web = z
    .strictObject({
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Loopback by default: expose through a reverse proxy with TLS. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Behind a reverse proxy: trust its `X-Forwarded-*` headers (one hop). */
      trustProxy: z.boolean().default(false),
      /** Mark the session cookie `Secure` (default: when the request came over HTTPS, as the proxy tells). */
      secureCookies: z.boolean().optional(),
      /** Serve `/metrics` without authentication (a Prometheus on a private network). */
      publicMetrics: z.boolean().default(false),
      users: z
        .array(
          z.strictObject({
            name: pattern(/^[A-Za-z0-9._@-]{1,64}$/, 'user-name', 'letters, digits, dot, dash, underscore or @'),
            /** `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (see config/password.ts). */
            passwordHash: z.string().refine((h) => parseScryptHash(h) !== undefined, {
              message: 'an scrypt hash in PHC format: $scrypt$ln=15,r=8,p=1$<salt>$<hash>',
              params: { rule: 'scrypt-hash' },
            }),
            role: z.enum(Role),
          }),
        )
        .default([]),
      /** API tokens (scripts, monitoring), sent as `Authorization: Bearer`. */
      tokens: z
        .array(
          z.strictObject({
            name: pattern(IDENT, 'ident', 'letters, digits, dash or underscore (max 32)'),
            token: secret(rc, minLength(32)),
            role: z.enum(Role),
          }),
        )
        .default([]),
    })
    .prefault({});

  const alerts = z
    .strictObject({
      webhookUrl: httpUrl().optional(),
      /** Alert when dead letters reach this count (once per state change). */
      deadLettersThreshold: positiveInt().default(1),
      /** Alert when no pull succeeded for this long. */
      noSuccessfulPullMinutes: positiveInt().default(120),
    })
    .prefault({});

  const reconcile = z
    .strictObject({
      outDir: directory(rc).default(resolvePath(rc.cwd, '.passerelle/reports')),
      /** Reports kept (the last N). */
      keep: positiveInt().default(30),
      /** Attributions reported in the last N days are checked on both sides. */
      attributionReportDays: positiveInt().default(30),
      /** Targeted reads against the SNE/SPTA during a reconciliation. */
      rateLimit: rateLimit({ max: 2, durationMs: 1000 }),
    })
    .prefault({});

  const pull = z
    .strictObject({
      /**
       * Demands per page: one ledger read, one bulk enqueue and one cursor move per page. Two pages are
       * written while two more are parsed: 250 keeps that under ~360 MiB at 300,000 demands (bench pull).
       */
      pageSize: positiveInt().max(10_000).default(250),
      /** Worker threads parsing dispatch files (0: parse in the main thread). Default: cores - 1, at least 1. */
      parseThreads: nonNegativeInt().max(64).default(Math.max(1, availableParallelism() - 1)),
      /**
       * `inline`: the pull writes each page's changes to the local tool itself and queues only what fails
       * (fast); `queued`: every change becomes a delivery job (intake and delivery in separate processes).
       */
      delivery: z.enum(['inline', 'queued']).default('inline'),
      /** Writes to the local tool in flight at once, inline. */
      deliveryConcurrency: positiveInt().max(256).default(16),
      /** The intake pauses while this many deliveries wait: bounds Redis memory whatever the stock size. */
      maxWaiting: positiveInt().default(5_000),
      /** Overlap kept behind the "since" cursors, for clock skew between the gateway and the SNE. */
      sinceOverlapMinutes: nonNegativeInt().default(5),
    })
    .prefault({});

  const push = z
    .strictObject({
      /** Where the local tool's events go: `sne` and/or `spta:<id>` (an SPTA department talks to its SPTA). */
      targets: z.array(z.string().regex(/^(sne|spta:[A-Za-z0-9_-]{1,32})$/, 'sne or spta:<id>')).min(1).default(['sne']),
      /** How often the worker role reads the local tool's event feed. */
      pollMs: positiveInt().default(1000),
      /**
       * After a CAL decision of non-receivability, the radiation RADIRR is due a month later: `schedule` it
       * (the gateway sends it then) or only `flag` it for the reconciliation report.
       */
      radiationIrrecevabilite: z.enum(['schedule', 'flag']).default('schedule'),
    })
    .prefault({});

  const runs = z.strictObject({ keep: positiveInt().default(200) }).prefault({});
  const ledger = z.strictObject({}).prefault({});
  const logging = z
    .strictObject({ level: z.enum(LogLevel).default('info'), format: z.enum(LogFormat).default('auto') })
    .prefault({});

  return z
    .strictObject({
      redis,
      sne,
      spta: z.array(spta).default([]),
      local,
      territory,
      dispatch,
      pull,
      push,
      schedules,
      queues,
      crypto,
      events,
      web,
      alerts,
      reconcile,
      runs,
      ledger,
      logging,
    })
    .superRefine(crossChecks, { when: () => true });
}

/** The resolved configuration before freezing. */
export type ResolvedConfig = z.output<ReturnType<typeof buildConfigSchema>>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The configuration as the gateway uses it: validated, resolved, frozen. */
export type Config = DeepReadonly<ResolvedConfig>;
export type RedisConfig = Config['redis'];
export type SneConfig = Config['sne'];
export type SptaConfig = Config['spta'][number];
export type LocalConfig = Config['local'];
export type TerritoryConfig = Config['territory'];
export type DispatchConfig = Config['dispatch'];
export type PushConfig = Config['push'];
export type PullConfig = Config['pull'];
export type SchedulesConfig = Config['schedules'];
export type QueuesConfig = Config['queues'];
export type CryptoConfig = Config['crypto'];
export type EventsConfig = Config['events'];
export type WebConfig = Config['web'];
export type AlertsConfig = Config['alerts'];
export type ReconcileConfig = Config['reconcile'];
export type LoggingConfig = Config['logging'];
export type TlsConfig = NonNullable<SneConfig['tls']>;
export type RateLimitConfig = SneConfig['rateLimit'];

// Cross-field rules. They run even when other fields failed (`when`), so every problem is listed in one
// pass; hence they read the partially parsed value defensively.
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

function crossChecks(value: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  if (!isRecord(value)) return;
  const { sne, spta, crypto, web, dispatch, queues, local } = value;

  if (isRecord(sne) && sne.tls !== undefined && typeof sne.url === 'string' && !sne.url.startsWith('https:')) {
    fail(ctx, 'tls-needs-https', 'tls is set but the url is not https://', ['sne', 'url']);
  }
  if (isRecord(local) && typeof local.url === 'string' && local.url.includes('?')) {
    fail(ctx, 'url', 'a base URL without query string', ['local', 'url']);
  }

  duplicatesAt(ctx, spta, ['spta'], 'id', 'id');
  const pushCfg = value.push;
  if (isRecord(pushCfg) && Array.isArray(pushCfg.targets)) {
    const sptaIds = listOf(spta).map((s) => `spta:${String(s.id)}`);
    pushCfg.targets.forEach((t, i) => {
      if (typeof t === 'string' && t !== 'sne' && t.startsWith('spta:') && !sptaIds.includes(t)) {
        fail(ctx, 'known-target', 'names no configured spta entry', ['push', 'targets', i]);
      }
    });
  }
  if (Array.isArray(spta)) {
    spta.forEach((s, i) => {
      if (!isRecord(s)) return;
      const transport = s.transport ?? SptaTransport.webservice;
      if (transport === SptaTransport.webservice && s.url === undefined) {
        fail(ctx, 'required', 'required with transport: webservice', ['spta', i, 'url']);
      }
      if (transport === SptaTransport.files && s.dropDir === undefined) {
        fail(ctx, 'required', 'required with transport: files', ['spta', i, 'dropDir']);
      }
      if (s.tls !== undefined && typeof s.url === 'string' && !s.url.startsWith('https:')) {
        fail(ctx, 'tls-needs-https', 'tls is set but the url is not https://', ['spta', i, 'url']);
      }
    });
  }

  if (isRecord(crypto)) {
    duplicatesAt(ctx, crypto.keys, ['crypto', 'keys'], 'id', 'key id');
    const ids = listOf(crypto.keys).map((k) => k.id);
    if (typeof crypto.activeKeyId === 'string' && Array.isArray(crypto.keys) && !ids.includes(crypto.activeKeyId)) {
      fail(ctx, 'key-exists', 'must be the id of one of crypto.keys', ['crypto', 'activeKeyId']);
    }
  }

  if (isRecord(web)) {
    duplicatesAt(ctx, web.users, ['web', 'users'], 'name', 'name');
    duplicatesAt(ctx, web.tokens, ['web', 'tokens'], 'name', 'name');
    duplicatesAt(ctx, web.tokens, ['web', 'tokens'], 'token', 'token value');
  }

  if (isRecord(dispatch)) {
    const dirs = (['dropDir', 'doneDir', 'rejectedDir'] as const).filter((k) => typeof dispatch[k] === 'string');
    dirs.forEach((k, i) => {
      if (dirs.slice(0, i).some((earlier) => dispatch[earlier] === dispatch[k])) {
        fail(ctx, 'distinct-dirs', 'dropDir, doneDir and rejectedDir must be different folders', ['dispatch', k]);
      }
    });
  }

  if (isRecord(queues) && isRecord(queues.backoff)) {
    const { baseMs, maxMs } = queues.backoff;
    if (typeof baseMs === 'number' && typeof maxMs === 'number' && baseMs > maxMs) {
      fail(ctx, 'range', 'must not exceed queues.backoff.maxMs', ['queues', 'backoff', 'baseMs']);
    }
  }
}

/** Reports every entry whose `key` repeats an earlier one (by position: token values are secrets). */
function duplicatesAt(ctx: z.core.$RefinementCtx<unknown>, items: unknown, base: PropertyKey[], key: string, what: string) {
  if (!Array.isArray(items)) return;
  const seen = new Set<unknown>();
  items.forEach((item, i) => {
    if (!isRecord(item) || typeof item[key] !== 'string') return;
    if (seen.has(item[key])) fail(ctx, 'unique', `${what} already used by an earlier entry`, [...base, i, key]);
    seen.add(item[key]);
  });
}
