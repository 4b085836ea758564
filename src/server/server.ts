/**
 * The gateway's web server (express 5): the BullMQ dashboard, the dead-letter view with replay and
 * discard, runs, reports, health, readiness and Prometheus metrics, all behind authentication except
 * `/healthz` and `/readyz` (and `/metrics` when `publicMetrics` says so).
 *
 * Authentication: the login form (signed session cookie, HttpOnly, SameSite=Strict), HTTP Basic
 * (configured users, scrypt) or `Authorization: Bearer` (configured tokens). Roles: `viewer` reads,
 * `operator` also acts (retry, promote, pause, clean, replay, discard). There are no default
 * credentials: without users and tokens {@link createWebServer} throws `WEB_NO_CREDENTIALS`.
 *
 * Cross-site request forgery: state-changing requests whose `Origin`/`Sec-Fetch-Site` says cross-site are
 * refused; the forms carry a token bound to the session (`_csrf`); JSON calls made with a session cookie
 * send it as `X-CSRF-Token` (from `GET /api/session`); the dashboard's own calls (which cannot carry our
 * token) must prove they are same-origin. Bearer tokens are never sent by a browser on its own: exempt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import { isGatewayError, PermanentError, toSafeError, type Issue } from '../errors';
import type { Logger } from '../logging';
import { DeadLetterStatus, type DeadLetter } from '../state/dead-letters';
import { Authenticator, AuthVia, LoginThrottle, parseBasic, readCookie, type Principal, type WebToken, type WebUser } from './auth';
import { createBoards, JOB_CLEAN_ROUTE, redactSealed, refusedBoardAction } from './board';
import { deadLettersPage, loginPage, logoutPage, messagePage, reportsPage, runsPage, type DeadLetterForm } from './pages';
import type { Readiness } from './readiness';
import type { DeadLetterView, QuarantineView, ReplayOutcome, ReportInfo, WebStores } from './types';

export interface WebServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  users: readonly WebUser[];
  tokens: readonly WebToken[];
  /** The BullMQ queues shown on the dashboard. */
  queues: readonly Queue[];
  stores: WebStores;
  /** Computed by the daemon (Redis, workers, circuits, last pulls); `/readyz` answers 503 unless `ready`. */
  readiness: () => Promise<Readiness>;
  /** The registry `/metrics` exposes (see `createMetrics`). */
  metrics: Registry;
  logger: Logger;
  /** Re-enqueues a dead letter's job from its original input (the push/pull layer provides it). */
  replayDeadLetter: (id: string, who: string) => Promise<ReplayOutcome>;
  listReports?: () => Promise<ReportInfo[]>;
  /** Absolute path of a listed report's file. */
  reportFile?: (id: string) => string | Promise<string>;
  /** HMAC key (≥ 32 bytes) of sessions and CSRF tokens; random per process by default. */
  sessionSecret?: Buffer;
  /** Session lifetime; 8 hours by default. */
  sessionTtlMs?: number;
  /**
   * Serve `/metrics` without authentication (a Prometheus on a private network). Off by default: the
   * scrape then needs any user or token (a `viewer` token is enough).
   */
  publicMetrics?: boolean;
  /** `Secure` flag of the session cookie; by default set when the request came over HTTPS. */
  secureCookies?: boolean;
  /**
   * Behind a reverse proxy: trust its `X-Forwarded-*` headers (one hop). The proxy must pass the
   * original `Host` (nginx: `proxy_set_header Host $host`) or `X-Forwarded-Host` with this on: browsers
   * without `Sec-Fetch-Site` are checked by comparing `Origin` with it.
   */
  trustProxy?: boolean;
  /** Routes mounted before authentication, that authenticate requests themselves (HMAC-signed event intake). */
  publicRoutes?: ReadonlyArray<{ path: string; router: Router }>;
  /** Deadline of the readiness function; 5 s by default. */
  readinessTimeoutMs?: number;
  /** How long `close()` lets running requests finish before cutting them; 2 s by default. */
  closeGraceMs?: number;
  now?: () => number;
}

export interface WebServer {
  app: express.Express;
  /** Binds the port; resolves with the URL to reach it. Idempotent. */
  listen(): Promise<{ url: string; port: number }>;
  /** Stops accepting, closes keep-alive sockets, lets running requests finish. Idempotent. */
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'passerelle_session';
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const BODY_LIMIT = '16kb';

const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// bull-board's UI: its own scripts and styles; its Google Fonts link is blocked on purpose (no third party).
const BOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
// Reports are documents, not applications: no script, no network.
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Creates the web server (not listening yet); throws `WEB_NO_CREDENTIALS` without users and tokens. */
export function createWebServer(o: WebServerOptions): WebServer {
  const auth = new Authenticator({
    users: o.users,
    tokens: o.tokens,
    ...(o.sessionSecret ? { secret: o.sessionSecret } : {}),
    ...(o.sessionTtlMs ? { sessionTtlMs: o.sessionTtlMs } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  const throttle = new LoginThrottle(o.now ? { now: o.now } : {});
  const logger = o.logger.child({ component: 'web' });
  const now = o.now ?? Date.now;
  const boards = createBoards({
    queues: o.queues,
    basePath: '/queues',
    links: [
      { text: 'Runs', url: '/runs' },
      { text: 'Dead letters', url: '/dead-letters' },
      { text: 'Reports', url: '/reports' },
      { text: 'Log out', url: '/logout' },
    ],
  });
  const queuesByName = new Map(o.queues.map((q) => [q.name, q]));
  const { deadLetters } = o.stores;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', o.trustProxy ? 1 : false);
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT });

  // ---- helpers -------------------------------------------------------------------------------------
  const principalOf = (res: Response): Principal => res.locals.principal as Principal;
  const csrfOf = (res: Response): string => auth.csrfToken(principalOf(res));
  const wantsHtml = (req: Request): boolean => !isApiPath(req.path) && req.accepts(['json', 'html']) === 'html';
  const sendHtml = (res: Response, status: number, page: string): void => {
    res.status(status).type('html').send(page);
  };
  const refuse = (req: Request, res: Response, status: number, code: string, message: string): void => {
    if (wantsHtml(req)) {
      const p = res.locals.principal as Principal | undefined;
      sendHtml(res, status, messagePage({ title: status === 403 ? 'Forbidden' : 'Error', message, ...(p ? { principal: p, csrfToken: auth.csrfToken(p) } : {}) }));
    } else res.status(status).json({ error: code, message });
  };
  // Per address and name: behind a proxy without `trustProxy` every client shares one address, and one
  // person's typos must not lock everyone out.
  const throttleKey = (req: Request, name: string): string => `${req.ip ?? 'unknown'}\0${name}`;
  /**
   * Where a request comes from, as the browser tells: `Sec-Fetch-Site` when sent (modern browsers; it
   * survives a proxy that rewrites `Host`), else `Origin` against our host; `unknown` for non-browser clients.
   */
  const provenance = (req: Request): 'same' | 'cross' | 'unknown' => {
    const site = req.get('sec-fetch-site');
    if (site !== undefined) return site === 'same-origin' ? 'same' : site === 'none' ? 'unknown' : 'cross';
    const origin = req.get('origin');
    if (origin === undefined) return 'unknown';
    return URL.canParse(origin) && new URL(origin).host === req.host ? 'same' : 'cross';
  };

  // ---- every request -------------------------------------------------------------------------------
  app.use((req, res, next) => {
    const started = now();
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': PAGE_CSP,
    });
    res.on('finish', () => {
      const p = res.locals.principal as Principal | undefined;
      const meta = { method: req.method, path: req.originalUrl.split('?')[0], statusCode: res.statusCode, durationMs: now() - started, ...(p ? { user: p.name } : {}) };
      if (res.statusCode >= 500) logger.warn('web request failed', meta);
      else logger.debug('web request', meta);
    });
    next();
  });

  // A state-changing request sent by a browser from another site is refused before anything else.
  app.use((req, res, next) => {
    if (SAFE_METHODS.has(req.method) || provenance(req) !== 'cross') return next();
    refuse(req, res, 403, 'CSRF_CROSS_SITE', 'cross-site request refused');
  });

  // ---- public --------------------------------------------------------------------------------------
  // Routes that authenticate themselves (the signed event intake checks its own HMAC).
  for (const r of o.publicRoutes ?? []) app.use(r.path, r.router);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const report = await withDeadline(o.readiness(), o.readinessTimeoutMs ?? 5000).catch(
      (e: unknown): Readiness => ({ ready: false, checks: [{ name: 'readiness', ok: false, detail: toSafeError(e).code }] }),
    );
    res.status(report.ready ? 200 : 503).json(report);
  });

  const metrics: RequestHandler = async (_req, res) => {
    const text = await o.metrics.metrics();
    res.type(o.metrics.contentType).send(text);
  };
  if (o.publicMetrics) app.get('/metrics', metrics);

  app.get('/login', (req, res) => {
    const next = safeNext(req.query.next);
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (cookie && auth.fromSession(cookie)) return res.redirect(303, next);
    sendHtml(res, 200, loginPage({ next }));
  });

  app.post('/login', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const name = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const client = throttleKey(req, name);
    const wait = throttle.blockedFor(client);
    if (wait > 0) {
      res.set('Retry-After', String(wait));
      return sendHtml(res, 429, loginPage({ next, error: 'Too many failed attempts: try again later. · Trop d’échecs : réessayez plus tard.' }));
    }
    const p = name && password ? await auth.checkPassword(name, password, AuthVia.session) : undefined;
    if (!p) {
      throttle.fail(client);
      logger.warn('login refused', { method: 'form' });
      return sendHtml(res, 401, loginPage({ next, error: 'Wrong user name or password. · Identifiant ou mot de passe incorrect.' }));
    }
    throttle.succeed(client);
    const session = auth.issueSession(p.name);
    res.cookie(SESSION_COOKIE, session.value, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: auth.sessionTtlMs,
      secure: o.secureCookies ?? req.secure,
    });
    logger.info('user logged in', { user: p.name, role: p.role });
    res.redirect(303, next);
  });

  // ---- authentication ------------------------------------------------------------------------------
  app.use(async (req, res, next) => {
    const header = req.get('authorization');
    let p: Principal | undefined;
    if (header !== undefined) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (bearer) p = auth.fromBearer(bearer[1] ?? '');
      else {
        const basic = parseBasic(header);
        const client = throttleKey(req, basic?.name ?? '');
        const wait = throttle.blockedFor(client);
        if (basic && wait > 0) {
          res.set('Retry-After', String(wait));
          return refuse(req, res, 429, 'TOO_MANY_FAILURES', 'too many failed password checks: try again later');
        }
        if (basic) p = await auth.checkPassword(basic.name, basic.password, AuthVia.basic);
        if (basic && !p) throttle.fail(client);
        if (p) throttle.succeed(client);
      }
    } else {
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (cookie) p = auth.fromSession(cookie);
    }
    if (p) {
      res.locals.principal = p;
      return next();
    }
    // Wrong credentials are worth a line (guessing shows up in the log); missing ones are routine.
    if (header !== undefined) logger.warn('authentication refused', { method: /^Bearer\s/i.test(header) ? 'bearer' : 'basic', path: req.path });
    if (header === undefined && (req.method === 'GET' || req.method === 'HEAD') && wantsHtml(req)) {
      return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    res.set('WWW-Authenticate', 'Basic realm="passerelle", charset="UTF-8", Bearer realm="passerelle"');
    res.status(401).json({ error: 'UNAUTHENTICATED', message: 'authentication required: log in, HTTP Basic or a Bearer token' });
  });

  const requireOperator: RequestHandler = (req, res, next) => {
    if (principalOf(res).role === 'operator') return next();
    refuse(req, res, 403, 'FORBIDDEN', 'this action needs the operator role');
  };
  /** Forms: the `_csrf` field must match the session's token (bearer tokens are exempt). */
  const formCsrf: RequestHandler = (req, res, next) => {
    const p = principalOf(res);
    if (p.via === AuthVia.bearer || auth.checkCsrf(p, (req.body as Record<string, unknown> | undefined)?._csrf)) return next();
    refuse(req, res, 403, 'CSRF_TOKEN_INVALID', 'the form has expired or did not come from this site: reload the page and try again');
  };
  /** JSON calls with a session cookie send the token as `X-CSRF-Token`. */
  const apiCsrf: RequestHandler = (req, res, next) => {
    const p = principalOf(res);
    if (SAFE_METHODS.has(req.method) || p.via !== AuthVia.session) return next();
    if (auth.checkCsrf(p, req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf)) return next();
    refuse(req, res, 403, 'CSRF_TOKEN_INVALID', 'missing or wrong X-CSRF-Token (see GET /api/session)');
  };

  if (!o.publicMetrics) app.get('/metrics', metrics);

  app.get('/', (_req, res) => res.redirect(302, '/queues'));

  app.get('/logout', (_req, res) => {
    sendHtml(res, 200, logoutPage({ principal: principalOf(res), csrfToken: csrfOf(res) }));
  });
  app.post('/logout', form, formCsrf, (_req, res) => {
    const p = principalOf(res);
    auth.revoke(p);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/' });
    logger.info('user logged out', { user: p.name });
    res.redirect(303, '/login');
  });

  // ---- dashboard -----------------------------------------------------------------------------------
  app.use('/queues', async (req, res, next) => {
    const p = principalOf(res);
    res.set('Content-Security-Policy', BOARD_CSP);
    // The board's scripts and styles have content-hashed names: let the browser keep them.
    if (req.path.startsWith('/static/')) res.set('Cache-Control', 'private, max-age=86400');
    if (!SAFE_METHODS.has(req.method)) {
      if (p.role !== 'operator') return refuse(req, res, 403, 'FORBIDDEN', 'the dashboard is read-only for viewers');
      const why = refusedBoardAction(req.method, req.path);
      if (why) return refuse(req, res, 403, 'ACTION_NOT_OFFERED', why);
      // The board's own calls cannot carry our token: with a session they must prove they are same-origin.
      if (p.via === AuthVia.session && provenance(req) !== 'same') return refuse(req, res, 403, 'CSRF_ORIGIN_REQUIRED', 'same-origin request required');
      const clean = JOB_CLEAN_ROUTE.exec(req.path);
      if (clean) {
        const job = await queuesByName.get(decodeURIComponent(clean[1] ?? ''))?.getJob(decodeURIComponent(clean[2] ?? ''));
        const state = job ? await job.getState() : undefined;
        if (state !== undefined && state !== 'completed' && state !== 'failed') {
          return refuse(req, res, 403, 'ACTION_NOT_OFFERED', 'only completed or failed jobs may be removed');
        }
      }
      logger.info('dashboard action', { user: p.name, method: req.method, path: req.path });
    }
    (p.role === 'operator' ? boards.operator : boards.viewer)(req, res, next);
  });

  // ---- dead letters --------------------------------------------------------------------------------
  const viewOf = (d: DeadLetter): DeadLetterView => {
    const { sealedInput, ...rest } = d;
    return { ...rest, job: { name: d.job.name, data: redactSealed(d.job.data) as Record<string, unknown> }, hasInput: sealedInput !== undefined };
  };

  type Action = 'replay' | 'discard';
  const act = async (action: Action, id: string, p: Principal): Promise<{ status: number; body: Record<string, unknown> }> => {
    if (!ID.test(id)) return { status: 404, body: { error: 'NOT_FOUND', message: 'no such dead letter' } };
    const dl = await deadLetters.get(id);
    if (!dl) return { status: 404, body: { error: 'NOT_FOUND', message: 'no such dead letter' } };
    if (dl.status !== DeadLetterStatus.open) {
      return { status: 409, body: { error: 'DEAD_LETTER_CLOSED', message: `this dead letter is already ${dl.status}`, status: dl.status } };
    }
    if (action === 'replay') {
      // Replay first, then close: a crash in between leaves it open (replaying again is idempotent downstream),
      // never closed without a replay.
      const outcome = await o.replayDeadLetter(id, p.name);
      if (!outcome.ok) {
        logger.warn('dead letter replay refused', { deadLetterId: id, user: p.name, code: dl.code });
        return { status: 409, body: { ok: false, error: 'REPLAY_REFUSED', message: outcome.message } };
      }
      const closed = await deadLetters.close(id, DeadLetterStatus.replayed, p.name, outcome.message);
      logger.info('dead letter replayed', { deadLetterId: id, user: p.name, code: dl.code, system: dl.system });
      return { status: 200, body: { ok: true, message: outcome.message, deadLetter: closed ? viewOf(closed) : undefined } };
    }
    const closed = await deadLetters.close(id, DeadLetterStatus.discarded, p.name);
    logger.info('dead letter discarded', { deadLetterId: id, user: p.name, code: dl.code, system: dl.system });
    return { status: 200, body: { ok: true, message: 'discarded', deadLetter: closed ? viewOf(closed) : undefined } };
  };

  app.get('/dead-letters', async (req, res) => {
    const raw = req.query as Record<string, unknown>;
    const formValues = readDeadLetterForm(raw, Object.keys(raw).length === 0 ? 'open' : '');
    const parsed = parseDeadLetterQuery(formValues);
    const items = 'issues' in parsed ? [] : (await deadLetters.search(parsed)).map(viewOf);
    const done = raw.done === 'replayed' || raw.done === 'discarded' ? raw.done : undefined;
    sendHtml(
      res,
      'issues' in parsed ? 400 : 200,
      deadLettersPage({
        principal: principalOf(res),
        csrfToken: csrfOf(res),
        form: formValues,
        items,
        ...('issues' in parsed ? { error: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') } : {}),
        ...(done ? { notice: `Dead letter ${done}.` } : {}),
      }),
    );
  });

  for (const action of ['replay', 'discard'] as const) {
    app.post(`/dead-letters/:id/${action}`, form, requireOperator, formCsrf, async (req, res) => {
      const r = await act(action, String(req.params.id), principalOf(res));
      if (r.status === 200) return res.redirect(303, `/dead-letters?done=${action === 'replay' ? 'replayed' : 'discarded'}`);
      const items = (await deadLetters.search({ status: DeadLetterStatus.open })).map(viewOf);
      sendHtml(
        res,
        r.status,
        deadLettersPage({
          principal: principalOf(res),
          csrfToken: csrfOf(res),
          form: readDeadLetterForm({}, 'open'),
          items,
          error: String(r.body.message),
        }),
      );
    });
  }

  // ---- pages ---------------------------------------------------------------------------------------
  app.get('/runs', async (_req, res) => {
    const runs = await o.stores.runs.list(50);
    sendHtml(res, 200, runsPage({ principal: principalOf(res), csrfToken: csrfOf(res), runs }));
  });

  const reports = async (): Promise<ReportInfo[]> => (o.listReports ? o.listReports() : []);
  app.get('/reports', async (_req, res) => {
    sendHtml(res, 200, reportsPage({ principal: principalOf(res), csrfToken: csrfOf(res), reports: await reports() }));
  });

  app.get('/reports/:id', async (req, res, next) => {
    const id = String(req.params.id);
    const listed = REPORT_ID.test(id) && !id.includes('..') && (await reports()).some((r) => r.id === id);
    if (!listed || !o.reportFile) return refuse(req, res, 404, 'NOT_FOUND', 'no such report');
    const file = await o.reportFile(id);
    if (!isAbsolute(file)) throw new PermanentError('WEB_REPORT_PATH', 'reportFile must return an absolute path', { system: 'web' });
    res.set('Content-Security-Policy', REPORT_CSP);
    // The path comes from the reconcile module, never from the request; its folder may be a dot folder.
    res.sendFile(file, { dotfiles: 'allow' }, (err) => {
      if (err) next(err);
    });
  });

  // ---- JSON API ------------------------------------------------------------------------------------
  const api = express.Router();
  api.use(express.json({ limit: BODY_LIMIT }), apiCsrf);

  api.get('/session', (_req, res) => {
    const p = principalOf(res);
    res.json({ name: p.name, role: p.role, via: p.via, csrfToken: auth.csrfToken(p) });
  });

  api.get('/dead-letters', async (req, res) => {
    const parsed = parseDeadLetterQuery(readDeadLetterForm(req.query as Record<string, unknown>, ''));
    if ('issues' in parsed) return void res.status(400).json({ error: 'INVALID_QUERY', issues: parsed.issues });
    res.json({ items: (await deadLetters.search(parsed)).map(viewOf) });
  });

  api.get('/dead-letters/:id', async (req, res) => {
    const id = String(req.params.id);
    const dl = ID.test(id) ? await deadLetters.get(id) : undefined;
    if (!dl) return void res.status(404).json({ error: 'NOT_FOUND', message: 'no such dead letter' });
    res.json(viewOf(dl));
  });

  for (const action of ['replay', 'discard'] as const) {
    api.post(`/dead-letters/:id/${action}`, requireOperator, async (req, res) => {
      const r = await act(action, String(req.params.id), principalOf(res));
      res.status(r.status).json(r.body);
    });
  }

  api.get('/audit', async (req, res) => {
    res.json({ items: await deadLetters.audit(limitOf(req.query.limit, 100)) });
  });

  api.get('/runs', async (req, res) => {
    res.json({ items: await o.stores.runs.list(limitOf(req.query.limit, 50)) });
  });

  api.get('/reports', async (_req, res) => {
    res.json({ items: await reports() });
  });

  api.get('/quarantine', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const entries = await o.stores.quarantine.list({
      limit: limitOf(q.limit, 100),
      ...(typeof q.source === 'string' && q.source ? { source: q.source } : {}),
      ...(typeof q.numUnique === 'string' && q.numUnique ? { numUnique: q.numUnique } : {}),
    });
    const items: QuarantineView[] = entries.map(({ sealedInput, ...rest }) => ({ ...rest, hasInput: sealedInput !== undefined }));
    res.json({ items });
  });

  api.get('/conflicts', async (_req, res) => {
    res.json({ items: await o.stores.conflicts.list() });
  });

  api.get('/cursors', async (_req, res) => {
    const t = now();
    const items = (await o.stores.cursors.list()).map((c) => ({ ...c, lagSeconds: Math.max(0, Math.round((t - Date.parse(c.updatedAt)) / 1000)) }));
    res.json({ items });
  });

  api.use((req, res) => refuse(req, res, 404, 'NOT_FOUND', 'no such API route'));
  app.use('/api', api);

  // ---- fallbacks -----------------------------------------------------------------------------------
  app.use((req, res) => refuse(req, res, 404, 'NOT_FOUND', 'not found'));

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = httpStatusOf(err);
    if (res.headersSent) return next(err);
    if (status >= 500) {
      logger.error('web request error', { err, method: req.method, path: req.originalUrl.split('?')[0], statusCode: status });
      const safe = toSafeError(err);
      return refuse(req, res, status, safe.code, status === 503 ? 'temporarily unavailable, try again' : 'internal error (see the gateway log)');
    }
    const code = typeof (err as { type?: unknown }).type === 'string' ? String((err as { type: string }).type) : 'BAD_REQUEST';
    refuse(req, res, status, code, status === 404 ? 'not found' : 'bad request');
  });

  // ---- lifecycle -----------------------------------------------------------------------------------
  let server: http.Server | undefined;
  let listening: Promise<{ url: string; port: number }> | undefined;
  let closing: Promise<void> | undefined;

  const listen = (): Promise<{ url: string; port: number }> => {
    if (closing) return Promise.reject(new PermanentError('WEB_CLOSED', 'the web server is closed', { system: 'web' }));
    listening ??= new Promise((resolve, reject) => {
      const s = http.createServer(app);
      server = s;
      s.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new PermanentError('WEB_LISTEN_FAILED', `cannot listen on ${o.host}:${o.port} (${e.code ?? e.name})`, {
            system: 'web',
            details: { host: o.host, port: o.port },
          }),
        ),
      );
      s.listen(o.port, o.host, () => {
        const port = (s.address() as AddressInfo).port;
        const host = o.host.includes(':') ? `[${o.host}]` : o.host;
        logger.info('web server listening', { host: o.host, port });
        resolve({ url: `http://${host}:${port}`, port });
      });
    });
    return listening;
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      const s = server;
      if (!s || !s.listening) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => s.closeAllConnections(), o.closeGraceMs ?? 2000);
        timer.unref();
        s.close(() => {
          clearTimeout(timer);
          resolve();
        });
        s.closeIdleConnections();
      });
    })();
    return closing;
  };

  return { app, listen, close };
}

// ---- pure helpers ----------------------------------------------------------------------------------

function isApiPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/api' || path.startsWith('/queues/api/') || path === '/metrics';
}

/** A local path to go back to after login; anything else (absolute URL, `//host`) becomes `/`. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 1000) return '/';
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value) || value.startsWith('/login')) return '/';
  return value;
}

function limitOf(value: unknown, fallback: number): number {
  const n = typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : fallback;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PermanentError('READINESS_TIMEOUT', `readiness did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function httpStatusOf(err: unknown): number {
  const s = (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof s === 'number' && s >= 400 && s < 600) return s;
  if (isGatewayError(err) && err.errorClass === 'transient') return 503;
  return 500;
}

/** Reads the dead-letter search fields from a query string (strings only; arrays are ignored). */
export function readDeadLetterForm(raw: Record<string, unknown>, defaultStatus: string): DeadLetterForm {
  const s = (k: string): string => (typeof raw[k] === 'string' ? (raw[k] as string).trim() : '');
  return {
    code: s('code'),
    system: s('system'),
    numUnique: s('numUnique'),
    since: s('since'),
    until: s('until'),
    status: s('status') || defaultStatus,
    ...(s('limit') ? { limit: s('limit') } : {}),
  };
}

const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;
const NUM_UNIQUE = /^[A-Za-z0-9-]{1,40}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Validates the search; dates are a day (`2026-11-05`, UTC, inclusive) or an ISO date-time. */
export function parseDeadLetterQuery(f: DeadLetterForm):
  | { code?: string; system?: string; numUnique?: string; status?: DeadLetterStatus; since?: string; until?: string; limit: number }
  | { issues: Issue[] } {
  const issues: Issue[] = [];
  const out: { code?: string; system?: string; numUnique?: string; status?: DeadLetterStatus; since?: string; until?: string; limit: number } = {
    limit: limitOf(f.limit, 200),
  };
  const check = (key: 'code' | 'system' | 'numUnique', re: RegExp, rule: string, message: string): void => {
    const value = f[key];
    if (!value) return;
    if (re.test(value)) out[key] = value;
    else issues.push({ path: key, rule, message });
  };
  check('code', TOKEN, 'token', 'letters, digits, _ . : - (max 64)');
  check('system', TOKEN, 'token', 'letters, digits, _ . : - (max 64)');
  check('numUnique', NUM_UNIQUE, 'num-unique', 'letters and digits (max 40)');
  const date = (key: 'since' | 'until', value: string): void => {
    if (!value) return;
    const iso = DAY.test(value) ? `${value}T${key === 'since' ? '00:00:00.000' : '23:59:59.999'}Z` : value;
    if (Number.isNaN(Date.parse(iso))) issues.push({ path: key, rule: 'date', message: 'a date (YYYY-MM-DD) or an ISO date-time' });
    else out[key] = new Date(iso).toISOString();
  };
  date('since', f.since);
  date('until', f.until);
  if (f.status && f.status !== 'all') {
    if ((Object.values(DeadLetterStatus) as string[]).includes(f.status)) out.status = f.status as DeadLetterStatus;
    else issues.push({ path: 'status', rule: 'enum', message: 'open, replayed, discarded or all' });
  }
  return issues.length ? { issues } : out;
}
