/**
 * Who is asking: signed session cookies (the login form), HTTP Basic (configured users, scrypt) and
 * `Authorization: Bearer` (configured API tokens). Sessions are stateless (HMAC-signed, with an expiry)
 * and name the user only: the role is looked up in the configuration at each request, so a user removed
 * from the file loses access at the next restart even with a cookie still in hand.
 *
 * Also here: the CSRF tokens of the forms (derived from the session, nothing stored) and a small
 * throttle of failed password checks.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Role, verifyPassword } from '../config';
import { PermanentError } from '../errors';

export { Role };

/** How a request was authenticated. */
export const AuthVia = { session: 'session', basic: 'basic', bearer: 'bearer' } as const;
export type AuthVia = (typeof AuthVia)[keyof typeof AuthVia];

/** The authenticated caller of a request. */
export interface Principal {
  /** The user's or token's name (tokens appear as `token:<name>` in the audit trail). */
  name: string;
  role: Role;
  via: AuthVia;
  /** Session id (session principals): binds the CSRF token and allows logout. */
  sessionId?: string;
  /** Session expiry, epoch ms (session principals). */
  expiresAt?: number;
}

export interface WebUser {
  readonly name: string;
  /** scrypt PHC string (see config/password.ts). */
  readonly passwordHash: string;
  readonly role: Role;
}

export interface WebToken {
  readonly name: string;
  readonly token: string;
  readonly role: Role;
}

export const WEB_NO_CREDENTIALS = 'WEB_NO_CREDENTIALS';

export interface AuthenticatorOptions {
  users: readonly WebUser[];
  tokens: readonly WebToken[];
  /** HMAC key of session cookies and CSRF tokens; random per process when absent (sessions end at restart). */
  secret?: Buffer;
  /** Session lifetime; 8 hours by default. */
  sessionTtlMs?: number;
  /** How long a successful Basic verification is remembered (scrypt is slow on purpose); 60 s by default. */
  basicCacheMs?: number;
  now?: () => number;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
const sha256 = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Constant-time equality of two strings of any length (compares their digests). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

interface SessionPayload {
  v: 1;
  u: string;
  sid: string;
  exp: number;
}

/** The authentication of one web server; no state shared with other instances. */
export class Authenticator {
  readonly sessionTtlMs: number;
  private readonly secret: Buffer;
  private readonly basicCacheMs: number;
  private readonly now: () => number;
  private readonly users: Map<string, WebUser>;
  private readonly basicCache = new Map<string, { until: number; name: string }>();
  /** Logged-out sessions until their expiry (a stateless cookie cannot be taken back otherwise). */
  private readonly revoked = new Map<string, number>();

  constructor(private readonly options: AuthenticatorOptions) {
    if (options.users.length === 0 && options.tokens.length === 0) {
      throw new PermanentError(
        WEB_NO_CREDENTIALS,
        'the web server needs at least one user (web.users) or API token (web.tokens): there are no default credentials',
        { system: 'web' },
      );
    }
    this.secret = options.secret ?? randomBytes(32);
    if (this.secret.length < 32) {
      throw new PermanentError('WEB_SESSION_SECRET_SHORT', 'the session secret must be at least 32 bytes', { system: 'web' });
    }
    this.sessionTtlMs = options.sessionTtlMs ?? 8 * 3600_000;
    this.basicCacheMs = options.basicCacheMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.users = new Map(options.users.map((u) => [u.name, u]));
  }

  private hmac(text: string): Buffer {
    return createHmac('sha256', this.secret).update(text).digest();
  }

  /** The principal of an API token, or undefined. Every token is compared (constant time). */
  fromBearer(presented: string): Principal | undefined {
    let found: WebToken | undefined;
    for (const t of this.options.tokens) if (safeEqual(presented, t.token) && !found) found = t;
    return found ? { name: `token:${found.name}`, role: found.role, via: AuthVia.bearer } : undefined;
  }

  /** Checks a user's password (scrypt); successes are cached briefly under a digest of the pair. */
  async checkPassword(name: string, password: string, via: AuthVia = AuthVia.basic): Promise<Principal | undefined> {
    const user = this.users.get(name);
    const cacheKey = b64url(this.hmac(`basic\0${name}\0${password}`));
    const now = this.now();
    const cached = this.basicCache.get(cacheKey);
    if (user && cached && cached.until > now && cached.name === name) return { name, role: user.role, via };
    // An unknown name still costs one scrypt, so that timing does not tell which names exist.
    const hash = user?.passwordHash ?? this.options.users[0]?.passwordHash;
    const ok = hash !== undefined && (await verifyPassword(password, hash));
    if (!user || !ok) return undefined;
    if (this.basicCache.size >= 1000) this.pruneCache(now);
    this.basicCache.set(cacheKey, { until: now + this.basicCacheMs, name });
    return { name, role: user.role, via };
  }

  private pruneCache(now: number): void {
    for (const [k, v] of this.basicCache) if (v.until <= now) this.basicCache.delete(k);
    // Still full: forget the oldest entries (Map keeps insertion order).
    for (const k of this.basicCache.keys()) {
      if (this.basicCache.size < 1000) break;
      this.basicCache.delete(k);
    }
  }

  /** A signed session cookie value for a user who just logged in. */
  issueSession(name: string): { value: string; expiresAt: number; sessionId: string } {
    const payload: SessionPayload = { v: 1, u: name, sid: b64url(randomBytes(16)), exp: this.now() + this.sessionTtlMs };
    const body = b64url(JSON.stringify(payload));
    return { value: `${body}.${b64url(this.hmac(`session\0${body}`))}`, expiresAt: payload.exp, sessionId: payload.sid };
  }

  /** The principal of a session cookie value, or undefined (bad signature, expired, revoked, unknown user). */
  fromSession(value: string): Principal | undefined {
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const sig = value.slice(dot + 1);
    if (!safeEqual(sig, b64url(this.hmac(`session\0${body}`)))) return undefined;
    let payload: SessionPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
    } catch {
      return undefined; // signed by us, so unreachable unless the secret leaked; refuse anyway
    }
    if (payload.v !== 1 || typeof payload.exp !== 'number' || payload.exp <= this.now()) return undefined;
    if (this.revoked.has(payload.sid)) return undefined;
    const user = this.users.get(payload.u);
    if (!user) return undefined;
    return { name: user.name, role: user.role, via: AuthVia.session, sessionId: payload.sid, expiresAt: payload.exp };
  }

  /** Ends a session before its expiry (logout). */
  revoke(p: Principal): void {
    if (!p.sessionId || p.expiresAt === undefined) return;
    const now = this.now();
    for (const [sid, exp] of this.revoked) if (exp <= now) this.revoked.delete(sid);
    this.revoked.set(p.sessionId, p.expiresAt);
  }

  /** The CSRF token of a principal's forms: bound to the session (or to the Basic user). */
  csrfToken(p: Principal): string {
    return b64url(this.hmac(`csrf\0${p.via}\0${p.sessionId ?? p.name}`));
  }

  checkCsrf(p: Principal, presented: unknown): boolean {
    return typeof presented === 'string' && presented.length > 0 && safeEqual(presented, this.csrfToken(p));
  }
}

export interface LoginThrottleOptions {
  /** Failed password checks allowed per client within the window; 10 by default. */
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * Slows down password guessing: after too many failures from one client address, password checks are
 * refused for the rest of the window (scrypt already costs each guess some time).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.max = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds the client must wait, or 0 when it may try. */
  blockedFor(client: string): number {
    const f = this.failures.get(client);
    if (!f) return 0;
    const left = f.since + this.windowMs - this.now();
    if (left <= 0) {
      this.failures.delete(client);
      return 0;
    }
    return f.count >= this.max ? Math.ceil(left / 1000) : 0;
  }

  fail(client: string): void {
    const now = this.now();
    const f = this.failures.get(client);
    if (!f || f.since + this.windowMs <= now) {
      if (this.failures.size >= 10_000) this.failures.clear(); // bounded memory under a spray of addresses
      this.failures.set(client, { count: 1, since: now });
    } else f.count++;
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}

/** Parses `Authorization: Basic` into name and password; undefined when malformed. */
export function parseBasic(header: string): { name: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return undefined;
  const text = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { name: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
