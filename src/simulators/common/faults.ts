/**
 * Fault injection for the simulators: a state object (`FaultInjector`) holding the active faults, an
 * express middleware that applies them, and an admin router (`POST /_sim/faults`, `DELETE /_sim/faults`,
 * `GET /_sim/faults`) to switch them at run time. It knows nothing of what the simulated system means.
 *
 * ## Plugging a simulator in
 * ```ts
 * const faults = new FaultInjector({ seed: 1 });
 * app.use(requireBearer(token));
 * app.use(faults.adminRouter());   // mounted before the middleware: the admin routes are never faulted
 * app.use(faults.middleware());    // before the real routes, so "after processing" faults wrap them
 * app.use(express.json());
 * app.put('/things/:id', realHandler);
 * startHttpServer({ app, beforeClose: () => faults.releaseHeld() });
 * ```
 * Faults that act **before processing** (latency, error, rateLimit, maintenance, reset, hang) answer or
 * cut the connection without calling `next()`, so the handler never runs. Faults that act **after
 * processing** (timeoutAfterProcessing, truncated, malformed) call `next()`, let the real handler run to
 * the end (its writes happen), capture what it sends, and then withhold, cut or spoil the answer.
 *
 * Every fault may be limited to a method (or several), a path pattern (`/things/:id`, `*` for any rest),
 * a number of requests (`count`, after which it is removed) and a probability (`rate`, drawn from a
 * seeded generator so a test sees the same sequence on every run). Latency faults add up; among the other
 * faults only the first matching one (in the order they were added) acts on a request.
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { seededRng, type Rng } from './rng';

export const FaultKind = {
  /** Delay before processing: `ms`, or a seeded draw in [`minMs`, `maxMs`]. */
  latency: 'latency',
  /** Answer `status` (5xx, default 500) without processing; optional `retryAfterSeconds`. */
  error: 'error',
  /** Answer 429 with `Retry-After: retryAfterSeconds` (default 1) without processing. */
  rateLimit: 'rateLimit',
  /** Answer 503 with `Retry-After` until `until` (ISO date-time or epoch ms) or for `count` requests. */
  maintenance: 'maintenance',
  /** Reset the connection before processing (the client sees ECONNRESET / socket hang up). */
  reset: 'reset',
  /** Never process nor answer; destroy the socket after `holdMs` (default: hold it until close). */
  hang: 'hang',
  /** Process (the write happens), never answer; destroy the socket after `holdMs` (default: hold). */
  timeoutAfterProcessing: 'timeoutAfterProcessing',
  /** Process, send the headers and half the body, then cut the connection. */
  truncated: 'truncated',
  /** Process, send a complete HTTP answer whose body is only the first half of the real one. */
  malformed: 'malformed',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

const scope = {
  /** Method or methods the fault applies to (any when absent). */
  method: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Path pattern (`/demandes/:numUnique`, `/evenements/*`); any path when absent. */
  path: z.string().startsWith('/').optional(),
  /** Act on at most this many requests, then remove the fault. */
  count: z.number().int().positive().optional(),
  /** Probability of acting on a matching request, 0..1 (default 1). */
  rate: z.number().min(0).max(1).optional(),
};
const holdMs = z.number().int().nonnegative().optional();
const retryAfterSeconds = z.number().int().nonnegative().optional();

/** The JSON a test or `POST /_sim/faults` gives for one fault. */
export const faultSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal(FaultKind.latency),
    ...scope,
    ms: z.number().int().nonnegative().optional(),
    minMs: z.number().int().nonnegative().optional(),
    maxMs: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({
    kind: z.literal(FaultKind.error),
    ...scope,
    status: z.number().int().min(500).max(599).optional(),
    retryAfterSeconds,
  }),
  z.strictObject({ kind: z.literal(FaultKind.rateLimit), ...scope, retryAfterSeconds }),
  z.strictObject({
    kind: z.literal(FaultKind.maintenance),
    ...scope,
    until: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
    retryAfterSeconds,
  }),
  z.strictObject({ kind: z.literal(FaultKind.reset), ...scope }),
  z.strictObject({ kind: z.literal(FaultKind.hang), ...scope, holdMs }),
  z.strictObject({ kind: z.literal(FaultKind.timeoutAfterProcessing), ...scope, holdMs }),
  z.strictObject({ kind: z.literal(FaultKind.truncated), ...scope }),
  z.strictObject({ kind: z.literal(FaultKind.malformed), ...scope }),
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** An active fault as listed by `list()` and `GET /_sim/faults`. */
export type ActiveFault = FaultSpec & { id: number; fired: number };

/** Body of `POST /_sim/faults`: one spec, a list of specs, or `{ seed?, faults }`. */
const postBodySchema = z.union([
  faultSpecSchema,
  z.array(faultSpecSchema),
  z.strictObject({ seed: z.number().int().optional(), faults: z.array(faultSpecSchema).default([]) }),
]);

export interface FaultInjectorOptions {
  /** Seed of the generator behind `rate` and latency ranges (default 1). */
  seed?: number;
  /** Clock for maintenance windows (epoch ms). */
  now?: () => number;
  /** Requests never faulted; by default the simulators' admin routes (`/_sim/...`). */
  exempt?: (path: string) => boolean;
}

interface Compiled {
  fault: ActiveFault;
  methods: Set<string> | null;
  pattern: RegExp | null;
  untilMs: number | null;
}

const BEFORE = new Set<FaultKind>([
  FaultKind.error,
  FaultKind.rateLimit,
  FaultKind.maintenance,
  FaultKind.reset,
  FaultKind.hang,
]);

/** Compiles `/a/:id/*` into an anchored RegExp: `:name` is one segment, `*` any rest. */
export function compilePathPattern(pattern: string): RegExp {
  const source = pattern
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** Holds the active faults and applies them; one per simulator instance (no module state). */
export class FaultInjector {
  private faults: Compiled[] = [];
  private nextId = 1;
  private seed: number;
  private rng: Rng;
  private readonly now: () => number;
  private readonly exempt: (path: string) => boolean;
  private readonly held = new Set<Socket>();

  constructor(options: FaultInjectorOptions = {}) {
    this.seed = options.seed ?? 1;
    this.rng = seededRng(this.seed);
    this.now = options.now ?? Date.now;
    this.exempt = options.exempt ?? ((path) => path.startsWith('/_sim/'));
  }

  /** Adds a fault (validated; throws on a bad spec) and returns it with its id. */
  add(spec: FaultSpec): ActiveFault {
    const parsed = faultSpecSchema.parse(spec);
    const fault: ActiveFault = { ...parsed, id: this.nextId++, fired: 0 };
    const methods =
      parsed.method === undefined
        ? null
        : new Set((Array.isArray(parsed.method) ? parsed.method : [parsed.method]).map((m) => m.toUpperCase()));
    const untilMs =
      parsed.kind === FaultKind.maintenance && parsed.until !== undefined
        ? typeof parsed.until === 'number'
          ? parsed.until
          : Date.parse(parsed.until)
        : null;
    this.faults.push({
      fault,
      methods,
      pattern: parsed.path === undefined ? null : compilePathPattern(parsed.path),
      untilMs,
    });
    return { ...fault };
  }

  /** Removes every fault; with `seed`, also restarts the generator from that seed. */
  clear(seed?: number): void {
    this.faults = [];
    if (seed !== undefined) this.reseed(seed);
  }

  /** Restarts the generator, so a test can replay the same sequence of draws. */
  reseed(seed: number): void {
    this.seed = seed;
    this.rng = seededRng(seed);
  }

  /** The active faults with how many requests each has acted on. */
  list(): ActiveFault[] {
    return this.faults.map((c) => ({ ...c.fault }));
  }

  /** Destroys sockets held open by `hang` and `timeoutAfterProcessing`; call it before closing. */
  releaseHeld(): void {
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  /** The middleware to mount before the routes it should wrap. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      if (this.faults.length === 0 || this.exempt(req.path)) {
        next();
        return;
      }
      const { latencyMs, chosen } = this.pick(req.method, req.path);
      const act = (): void => {
        if (chosen === undefined) next();
        else this.apply(chosen, res, next);
      };
      if (latencyMs > 0) setTimeout(act, latencyMs).unref();
      else act();
    };
  }

  /** `GET|POST|DELETE /_sim/faults`; mount it before `middleware()` and behind authentication. */
  adminRouter(): Router {
    const router = express.Router();
    router.use('/_sim/faults', express.json());
    router.get('/_sim/faults', (_req, res) => {
      res.json({ seed: this.seed, faults: this.list() });
    });
    router.post('/_sim/faults', (req, res) => {
      const parsed = postBodySchema.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({
          error: 'invalid_fault',
          errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), rule: i.code, message: i.message })),
        });
        return;
      }
      const body = parsed.data;
      const specs = Array.isArray(body) ? body : 'kind' in body ? [body] : body.faults;
      if (!Array.isArray(body) && !('kind' in body) && body.seed !== undefined) this.reseed(body.seed);
      const added = specs.map((s) => this.add(s));
      res.status(201).json({ seed: this.seed, added, faults: this.list() });
    });
    router.delete('/_sim/faults', (_req, res) => {
      this.clear();
      res.status(204).end();
    });
    return router;
  }

  private pick(method: string, path: string): { latencyMs: number; chosen: Compiled | undefined } {
    let latencyMs = 0;
    let chosen: Compiled | undefined;
    const now = this.now();
    for (const c of [...this.faults]) {
      if (c.untilMs !== null && now >= c.untilMs) {
        this.remove(c);
        continue;
      }
      if (c.methods !== null && !c.methods.has(method.toUpperCase())) continue;
      if (c.pattern !== null && !c.pattern.test(path)) continue;
      const isLatency = c.fault.kind === FaultKind.latency;
      if (!isLatency && chosen !== undefined) continue;
      const rate = c.fault.rate ?? 1;
      if (rate < 1 && this.rng() >= rate) continue;
      if (c.fault.kind === FaultKind.latency) latencyMs += this.drawLatency(c.fault);
      else chosen = c;
      this.consume(c);
    }
    return { latencyMs, chosen };
  }

  private drawLatency(f: Extract<FaultSpec, { kind: 'latency' }>): number {
    if (f.minMs !== undefined || f.maxMs !== undefined) {
      const min = f.minMs ?? 0;
      const max = Math.max(min, f.maxMs ?? min);
      return min + Math.floor(this.rng() * (max - min + 1));
    }
    return f.ms ?? 0;
  }

  private consume(c: Compiled): void {
    c.fault.fired += 1;
    if (c.fault.count !== undefined && c.fault.fired >= c.fault.count) this.remove(c);
  }

  private remove(c: Compiled): void {
    this.faults = this.faults.filter((x) => x !== c);
  }

  private apply(c: Compiled, res: Response, next: () => void): void {
    const f = c.fault;
    if (BEFORE.has(f.kind)) {
      this.applyBefore(c, res);
      return;
    }
    interceptResponse(res, (captured) => {
      const socket = res.req.socket;
      if (f.kind === FaultKind.timeoutAfterProcessing) {
        this.hold(socket, f.holdMs);
      } else if (f.kind === FaultKind.truncated) {
        captured.restore();
        const half = captured.body.subarray(0, Math.floor(captured.body.length / 2));
        res.setHeader('Content-Length', String(Math.max(captured.body.length, 1)));
        res.writeHead(captured.statusCode);
        res.write(half, () => socket.destroy());
      } else {
        captured.restore();
        const half = captured.body.subarray(0, Math.floor(captured.body.length / 2));
        res.setHeader('Content-Length', String(half.length));
        res.status(captured.statusCode).end(half);
      }
    });
    next();
  }

  private applyBefore(c: Compiled, res: Response): void {
    const f = c.fault;
    const socket = res.req.socket;
    switch (f.kind) {
      case FaultKind.error:
        if (f.retryAfterSeconds !== undefined) res.set('Retry-After', String(f.retryAfterSeconds));
        res.status(f.status ?? 500).json({ error: 'injected_fault', message: 'fault injected by the simulator' });
        return;
      case FaultKind.rateLimit:
        res
          .status(429)
          .set('Retry-After', String(f.retryAfterSeconds ?? 1))
          .json({ error: 'rate_limited', message: 'too many requests' });
        return;
      case FaultKind.maintenance: {
        const fromWindow = c.untilMs === null ? 1 : Math.max(1, Math.ceil((c.untilMs - this.now()) / 1000));
        res
          .status(503)
          .set('Retry-After', String(f.retryAfterSeconds ?? fromWindow))
          .json({ error: 'maintenance', message: 'the service is in a maintenance window' });
        return;
      }
      case FaultKind.reset:
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        return;
      case FaultKind.hang:
        this.hold(socket, f.holdMs);
        return;
      default:
        return;
    }
  }

  private hold(socket: Socket, holdMs: number | undefined): void {
    this.held.add(socket);
    socket.once('close', () => this.held.delete(socket));
    if (holdMs !== undefined) setTimeout(() => socket.destroy(), holdMs).unref();
  }
}

interface CapturedResponse {
  statusCode: number;
  body: Buffer;
  /** Puts the real `write`/`end`/`writeHead` back so the fault can send what it chooses. */
  restore(): void;
}

/**
 * Swallows everything a handler sends (status, body) and calls `onEnd` when it ends, instead of
 * sending it. Headers set with `setHeader` stay on the response for the fault to use or drop.
 */
function interceptResponse(res: Response, onEnd: (captured: CapturedResponse) => void): void {
  const original = { write: res.write, end: res.end, writeHead: res.writeHead, flushHeaders: res.flushHeaders };
  const chunks: Buffer[] = [];
  const toBuffer = (chunk: unknown, encoding: unknown): Buffer =>
    Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  const restore = (): void => {
    res.write = original.write;
    res.end = original.end;
    res.writeHead = original.writeHead;
    res.flushHeaders = original.flushHeaders;
  };
  const patched = res as unknown as Record<string, unknown>;
  patched.writeHead = (statusCode: number, ...rest: unknown[]) => {
    res.statusCode = statusCode;
    const headers = rest.find((r) => typeof r === 'object' && r !== null);
    if (headers !== undefined && !Array.isArray(headers)) {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v as string);
    }
    return res;
  };
  patched.flushHeaders = () => undefined;
  patched.write = (chunk: unknown, encoding?: unknown, cb?: unknown) => {
    if (chunk !== undefined && chunk !== null) chunks.push(toBuffer(chunk, encoding));
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (typeof callback === 'function') (callback as () => void)();
    return true;
  };
  let ended = false;
  patched.end = (chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    if (ended) return res;
    ended = true;
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(toBuffer(chunk, encoding));
    const callback = [chunk, encoding, cb].find((x) => typeof x === 'function');
    onEnd({ statusCode: res.statusCode, body: Buffer.concat(chunks), restore });
    if (typeof callback === 'function') (callback as () => void)();
    return res;
  };
}
