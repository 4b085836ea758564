/**
 * Client of the local shared-management tool's HTTP API (`docs/local-api.openapi.yaml`).
 *
 * Every failure comes out as a `GatewayError` of the right class (see `../http-errors.ts`): 409 as
 * `LocalConflictError`, 422 as `ValidationError('LOCAL_REJECTED')` with the issues, 401/403 and 404 as
 * permanent, 5xx/429/unreachable as transient (with `retryAfterSeconds`), and a write whose answer was
 * lost (timeout, reset, cut or unreadable answer) as ambiguous. Axios errors never cross this module.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type GatewayError, type Issue, PermanentError, ValidationError } from '../../errors';
import { errorForBadResponse, errorForFailure, errorForStatus, type HttpCall } from '../http-errors';
import { LOCAL_CODE_PREFIX, LOCAL_SYSTEM, LocalConflictError, LocalErrorCode } from './errors';
import {
  acquittementListSchema,
  acquittementSchema,
  conflictBodySchema,
  demandePageSchema,
  evenementPageSchema,
  evenementSchema,
  issueListSchema,
  putResultSchema,
  storedDemandeSchema,
  type Acquittement,
  type DemandePage,
  type Evenement,
  type EvenementPage,
  type NewAcquittement,
  type NewEvenement,
  type PutResult,
  type StoredDemande,
} from './types';

export interface LocalClientOptions {
  /** Base URL of the API, e.g. `https://outil-local.example/api` (no trailing slash needed). */
  baseUrl: string;
  /** Bearer token. */
  token: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Keep-alive agents; the client makes its own (and destroys them on `close()`) when absent. */
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
  /** Clock for `Retry-After` dates (epoch ms). */
  now?: () => number;
  /** Id for an event posted without one (default: a random UUID). */
  newEventId?: () => string;
}

/** `If-Match` of a PUT: a version to update from, `*` for any version; absent to create only. */
export interface PutOptions {
  ifMatch?: number | '*';
}

/** The port the gateway uses to talk to the local tool. */
export interface LocalClient {
  /** One page of the export, ordered by numUnique. */
  listDemandes(options?: { cursor?: string | null; limit?: number }): Promise<DemandePage>;
  /** One demand, or null when the local tool does not know it. */
  getDemande(numUnique: string): Promise<StoredDemande | null>;
  /** Creates (no `ifMatch`) or updates a demand; `unchanged` when the record was already that. */
  putDemande(numUnique: string, record: unknown, options?: PutOptions): Promise<Omit<PutResult, 'numUnique'>>;
  /**
   * Writes several demands in one request (`POST /demandes/batch`), each judged as its own PUT: one
   * result per item, in order. Throws `LOCAL_BATCH_UNSUPPORTED` (permanent) when the tool has no such
   * endpoint (use `putDemande`), or the classified error of the whole request (a lost answer to it is
   * ambiguous for every item).
   */
  putDemandes(items: ReadonlyArray<BatchPutItem>): Promise<BatchPutResult[]>;
  /** Every page of the export from `cursor` (the start by default) to the end. */
  exportAll(options?: { pageSize?: number; cursor?: string | null }): AsyncGenerator<DemandePage, void, undefined>;
  /** Events with seq greater than `after`. */
  listEvenements(options?: { after?: number; limit?: number }): Promise<EvenementPage>;
  /** Records an event (idempotent on its id; `created` false when it was there already). */
  postEvenement(ev: NewEvenement): Promise<{ evenement: Evenement; created: boolean }>;
  /** Appends an acknowledgement to an event. */
  acknowledge(id: string, ack: NewAcquittement): Promise<Acquittement>;
  /** The acknowledgements of an event, oldest first. */
  listAcquittements(id: string): Promise<Acquittement[]>;
  /** Releases the sockets of the agents the client made itself; idempotent. */
  close(): void;
}

/** One item of `putDemandes`: the record, or its JSON text already written (sent as is). */
export type BatchPutItem = { numUnique: string; ifMatch?: number } & ({ record: unknown } | { recordJson: string });

/** One item's result of `putDemandes`. */
export type BatchPutResult =
  | { ok: true; outcome: 'created' | 'updated' | 'unchanged'; version: number }
  | { ok: false; error: GatewayError };

const batchResultSchema = z.object({
  results: z.array(
    z.object({
      status: z.number().int(),
      version: z.number().int().positive().optional(),
      outcome: z.enum(['created', 'updated', 'unchanged']).optional(),
      currentVersion: z.number().int().positive().optional(),
      reason: z.string().optional(),
      errors: z.array(z.object({ path: z.string(), rule: z.string(), message: z.string() })).optional(),
    }),
  ),
});

const ROUTE = {
  batch: '/demandes/batch',
  demandes: '/demandes',
  demande: '/demandes/{numUnique}',
  evenements: '/evenements',
  acquittements: '/evenements/{id}/acquittements',
} as const;

const MAX_ISSUES = 200;
const MAX_ISSUE_TEXT = 300;

/** Creates a client; nothing is sent until a method is called. */
export function createLocalClient(options: LocalClientOptions): LocalClient {
  const ownHttp = options.httpAgent === undefined ? new http.Agent({ keepAlive: true, maxSockets: 32 }) : undefined;
  const ownHttps = options.httpsAgent === undefined ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : undefined;
  const now = options.now ?? Date.now;
  const newEventId = options.newEventId ?? randomUUID;
  const api: AxiosInstance = axios.create({
    baseURL: options.baseUrl.replace(/\/+$/, ''),
    timeout: options.timeoutMs ?? 10_000,
    httpAgent: options.httpAgent ?? ownHttp,
    httpsAgent: options.httpsAgent ?? ownHttps,
    headers: { Authorization: `Bearer ${options.token}`, Accept: 'application/json' },
    // The client reads every status and parses bodies itself, so that nothing is thrown by axios
    // for an answer and a bad body is told apart from a bad status.
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxRedirects: 0,
  });

  const callOf = (method: string, route: string): HttpCall => ({
    system: LOCAL_SYSTEM,
    codePrefix: LOCAL_CODE_PREFIX,
    method,
    route,
  });

  async function send(
    call: HttpCall,
    url: string,
    config: { data?: unknown; params?: Record<string, unknown>; headers?: Record<string, string>; json?: string } = {},
  ): Promise<AxiosResponse<string>> {
    try {
      return await api.request<string>({
        method: call.method,
        url,
        ...(config.data === undefined ? {} : { data: config.data }),
        // A body we wrote as JSON ourselves goes as it is: axios would parse it again to check it.
        ...(config.json === undefined ? {} : { data: config.json, headers: { ...config.headers, 'Content-Type': 'application/json' }, transformRequest: [(d: unknown) => d] }),
        ...(config.params === undefined ? {} : { params: config.params }),
        ...(config.headers === undefined ? {} : { headers: config.headers }),
      });
    } catch (err) {
      throw errorForFailure(call, err, now());
    }
  }

  function body<S extends z.ZodType>(call: HttpCall, res: AxiosResponse<string>, schema: S): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(res.data);
    } catch {
      throw errorForBadResponse(call, res.status);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw errorForBadResponse(call, res.status);
    return parsed.data;
  }

  function tryBody<S extends z.ZodType>(res: AxiosResponse<string>, schema: S): z.infer<S> | undefined {
    try {
      const parsed = schema.safeParse(JSON.parse(res.data));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  function rejected(call: HttpCall, res: AxiosResponse<string>): ValidationError {
    const clip = (s: string): string => (s.length > MAX_ISSUE_TEXT ? `${s.slice(0, MAX_ISSUE_TEXT)}…` : s);
    const issues: Issue[] = (tryBody(res, issueListSchema)?.errors ?? [])
      .slice(0, MAX_ISSUES)
      .map((i) => ({ path: clip(i.path), rule: clip(i.rule), message: clip(i.message) }));
    return new ValidationError(LocalErrorCode.rejected, issues, {
      system: LOCAL_SYSTEM,
      details: { method: call.method, route: call.route, status: 422 },
    });
  }

  function failure(call: HttpCall, res: AxiosResponse<string>): GatewayError {
    if (res.status === 422) return rejected(call, res);
    return errorForStatus(call, res.status, res.headers['retry-after'], now());
  }

  const path = (template: string, value: string): string => template.replace(/\{[^}]+\}/, encodeURIComponent(value));

  async function listDemandes(opts: { cursor?: string | null; limit?: number } = {}): Promise<DemandePage> {
    const call = callOf('GET', ROUTE.demandes);
    const params: Record<string, unknown> = {};
    if (opts.cursor) params.cursor = opts.cursor;
    if (opts.limit !== undefined) params.limit = opts.limit;
    const res = await send(call, ROUTE.demandes, { params });
    if (res.status !== 200) throw failure(call, res);
    return body(call, res, demandePageSchema);
  }

  async function putDemandes(items: ReadonlyArray<BatchPutItem>): Promise<BatchPutResult[]> {
    const call = { ...callOf('POST', ROUTE.batch), write: true };
    // Built by appending the records' JSON (already written where they were parsed), not by
    // stringifying one large object: the batch body is the pull's biggest allocation.
    let json = '{"items":[';
    items.forEach((i, k) => {
      json += `${k ? ',' : ''}{"numUnique":${JSON.stringify(i.numUnique)},"record":${'recordJson' in i ? i.recordJson : JSON.stringify(i.record)}${i.ifMatch === undefined ? '' : `,"ifMatch":${i.ifMatch}`}}`;
    });
    const res = await send(call, ROUTE.batch, { json: `${json}]}` });
    if (res.status === 404 || res.status === 405) {
      throw new PermanentError('LOCAL_BATCH_UNSUPPORTED', 'the local tool has no batch endpoint', { system: LOCAL_SYSTEM });
    }
    if (res.status !== 200) throw failure(call, res);
    const { results } = body(call, res, batchResultSchema);
    if (results.length !== items.length) throw errorForBadResponse(call, res.status);
    const itemCall = callOf('PUT', ROUTE.demande);
    const clip = (s: string): string => (s.length > MAX_ISSUE_TEXT ? `${s.slice(0, MAX_ISSUE_TEXT)}…` : s);
    return results.map((r): BatchPutResult => {
      if ((r.status === 200 || r.status === 201) && r.version !== undefined && r.outcome) return { ok: true, outcome: r.outcome, version: r.version };
      if (r.status === 409) return { ok: false, error: new LocalConflictError(itemCall, r.currentVersion ?? null, r.reason ?? null) };
      if (r.status === 422) {
        const issues = (r.errors ?? []).slice(0, MAX_ISSUES).map((i) => ({ path: clip(i.path), rule: clip(i.rule), message: clip(i.message) }));
        return { ok: false, error: new ValidationError(LocalErrorCode.rejected, issues, { system: LOCAL_SYSTEM, details: { method: 'PUT', route: ROUTE.demande, status: 422 } }) };
      }
      return { ok: false, error: errorForStatus(itemCall, r.status, undefined, now()) };
    });
  }

  return {
    listDemandes,
    putDemandes,

    async getDemande(numUnique) {
      const call = callOf('GET', ROUTE.demande);
      const res = await send(call, path(ROUTE.demande, numUnique));
      if (res.status === 404) return null;
      if (res.status !== 200) throw failure(call, res);
      return body(call, res, storedDemandeSchema);
    },

    async putDemande(numUnique, record, opts = {}) {
      const call = callOf('PUT', ROUTE.demande);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (opts.ifMatch !== undefined) headers['If-Match'] = opts.ifMatch === '*' ? '*' : `"${opts.ifMatch}"`;
      const res = await send(call, path(ROUTE.demande, numUnique), { data: JSON.stringify({ record }), headers });
      if (res.status === 409) {
        const conflict = tryBody(res, conflictBodySchema);
        throw new LocalConflictError(call, conflict?.currentVersion ?? null, conflict?.reason ?? null);
      }
      if (res.status !== 200 && res.status !== 201) throw failure(call, res);
      const result = body(call, res, putResultSchema);
      return { outcome: result.outcome, version: result.version, updatedAt: result.updatedAt };
    },

    async *exportAll(opts = {}) {
      let cursor = opts.cursor ?? null;
      for (;;) {
        const page = await listDemandes({ cursor, ...(opts.pageSize === undefined ? {} : { limit: opts.pageSize }) });
        yield page;
        if (page.nextCursor === null) return;
        if (page.nextCursor === cursor) {
          throw new PermanentError(LocalErrorCode.badCursor, 'local GET /demandes: the export gave the same cursor twice', {
            system: LOCAL_SYSTEM,
            details: { method: 'GET', route: ROUTE.demandes },
          });
        }
        cursor = page.nextCursor;
      }
    },

    async listEvenements(opts = {}) {
      const call = callOf('GET', ROUTE.evenements);
      const params: Record<string, unknown> = {};
      if (opts.after !== undefined) params.after = opts.after;
      if (opts.limit !== undefined) params.limit = opts.limit;
      const res = await send(call, ROUTE.evenements, { params });
      if (res.status !== 200) throw failure(call, res);
      return body(call, res, evenementPageSchema);
    },

    async postEvenement(ev) {
      const call = callOf('POST', ROUTE.evenements);
      const data = JSON.stringify({ ...ev, id: ev.id ?? newEventId() });
      const res = await send(call, ROUTE.evenements, { data, headers: { 'Content-Type': 'application/json' } });
      if (res.status !== 200 && res.status !== 201) throw failure(call, res);
      return { evenement: body(call, res, evenementSchema), created: res.status === 201 };
    },

    async acknowledge(id, ack) {
      const call = callOf('POST', ROUTE.acquittements);
      const res = await send(call, path(ROUTE.acquittements, id), {
        data: JSON.stringify(ack),
        headers: { 'Content-Type': 'application/json' },
      });
      if (res.status !== 201 && res.status !== 200) throw failure(call, res);
      return body(call, res, acquittementSchema);
    },

    async listAcquittements(id) {
      const call = callOf('GET', ROUTE.acquittements);
      const res = await send(call, path(ROUTE.acquittements, id));
      if (res.status !== 200) throw failure(call, res);
      return body(call, res, acquittementListSchema).items;
    },

    close() {
      ownHttp?.destroy();
      ownHttps?.destroy();
    },
  };
}
