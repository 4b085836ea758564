/**
 * The HTTP routes of the local-tool simulator: the vendor contract of `docs/local-api.openapi.yaml`
 * (demandes, evenements, acquittements) plus the simulator-only admin surface under `/_sim`.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { requireBearer } from '../common/auth';
import type { FaultInjector } from '../common/faults';
import { applyJsonPatch, JsonPatchError, jsonPatchSchema } from '../common/json-patch';
import { silentLogger, type SimulatorLogger } from '../common/logger';
import { z } from 'zod';
import type { IfMatch, LocalStore, StoredDemandeRow } from './store';
import {
  acceptAnyRecord,
  EVENT_ID_PATTERN,
  issuesFromZod,
  newAcquittementSchema,
  newEvenementSchema,
  NUM_UNIQUE_PATTERN,
  protocolIssues,
  type RecordValidator,
} from './validation';

/** Most items one batch request may carry. */
export const BATCH_LIMIT = 1000;

export interface LocalAppOptions {
  store: LocalStore;
  token: string;
  faults: FaultInjector;
  validateRecord?: RecordValidator;
  logger?: SimulatorLogger;
}

export const PAGE_LIMIT = { default: 100, max: 1000 } as const;
const CURSOR_PREFIX = 'v1.';

/** The opaque keyset cursor: the last numUnique of a page. */
export function encodeCursor(numUnique: string): string {
  return CURSOR_PREFIX + Buffer.from(numUnique, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  if (!cursor.startsWith(CURSOR_PREFIX)) return null;
  const key = Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8');
  return NUM_UNIQUE_PATTERN.test(key) ? key : null;
}

/** `If-Match` header → store rule; `invalid` for anything but `*`, `N`, `"N"` or `W/"N"`. */
export function parseIfMatch(header: string | undefined): IfMatch | 'invalid' {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const match = /^(?:W\/)?"?([1-9][0-9]{0,14})"?$/.exec(value);
  return match?.[1] === undefined ? 'invalid' : Number(match[1]);
}

function problem(res: Response, status: number, error: string, message: string, extra: object = {}): void {
  res.status(status).json({ error, message, ...extra });
}

function queryInt(value: unknown, fallback: number, min: number, max: number): number | null {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^[0-9]{1,15}$/.test(value)) return null;
  const n = Number(value);
  return n < min || n > max ? null : n;
}

/** One export item as JSON text, splicing the stored record text in rather than re-serialising it. */
function itemJson(row: StoredDemandeRow): string {
  return `{"numUnique":${JSON.stringify(row.numUnique)},"version":${row.version},"updatedAt":${JSON.stringify(
    row.updatedAt,
  )},"record":${row.recordJson}}`;
}

function etag(version: number): string {
  return `"${version}"`;
}

function isJsonBody(req: Request): boolean {
  const type = req.is('application/json');
  return type !== false && type !== null;
}

const touchBodySchema = z.object({ patch: jsonPatchSchema.optional() });

/** Builds the express app (not listening). */
export function createLocalApp(options: LocalAppOptions): Express {
  const { store, faults } = options;
  const validateRecord = options.validateRecord ?? acceptAnyRecord;
  const logger = options.logger ?? silentLogger;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(requireBearer(options.token));
  app.use(faults.adminRouter());
  app.use(faults.middleware());
  app.use(express.json({ limit: '5mb' }));

  // ---- demandes -------------------------------------------------------------------------------
  app.get('/demandes', (req, res) => {
    const limit = queryInt(req.query.limit, PAGE_LIMIT.default, 1, PAGE_LIMIT.max);
    if (limit === null) return problem(res, 400, 'invalid_limit', `limit must be an integer in 1..${PAGE_LIMIT.max}`);
    const cursorParam = req.query.cursor;
    let after: string | null = null;
    if (cursorParam !== undefined && cursorParam !== '') {
      after = typeof cursorParam === 'string' ? decodeCursor(cursorParam) : null;
      if (after === null) return problem(res, 400, 'invalid_cursor', 'cursor is not one this API gave');
    }
    const { rows, hasMore } = store.listDemandes(after, limit);
    const last = rows[rows.length - 1];
    const nextCursor = hasMore && last !== undefined ? JSON.stringify(encodeCursor(last.numUnique)) : 'null';
    res
      .status(200)
      .type('application/json')
      .send(`{"items":[${rows.map(itemJson).join(',')}],"nextCursor":${nextCursor}}`);
  });

  app.get('/demandes/:numUnique', (req, res) => {
    const numUnique = req.params.numUnique;
    if (!NUM_UNIQUE_PATTERN.test(numUnique)) return problem(res, 400, 'invalid_num_unique', 'numUnique is malformed');
    const demande = store.getDemande(numUnique);
    if (demande === null) return problem(res, 404, 'not_found', 'no demand with this numUnique');
    res.status(200).set('ETag', etag(demande.version)).json(demande);
  });

  // Bulk form of the PUT (optional for a vendor: the gateway falls back to one PUT per demand on 404).
  // Each item is judged as its own PUT would be; the valid ones are written in one transaction.
  app.post('/demandes/batch', (req, res) => {
    if (!isJsonBody(req)) return problem(res, 415, 'unsupported_media_type', 'the body must be application/json');
    const items = (req.body as { items?: unknown } | null)?.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > BATCH_LIMIT) {
      return res.status(422).json({
        error: 'invalid_batch',
        message: `the body must be { items: [...] } with 1 to ${BATCH_LIMIT} items`,
        errors: [{ path: 'items', rule: 'batch-size', message: `1 to ${BATCH_LIMIT} items` }],
      });
    }
    const results: unknown[] = new Array(items.length);
    const valid: Array<{ at: number; numUnique: string; record: unknown; ifMatch: number | '*' | undefined }> = [];
    items.forEach((raw: unknown, at) => {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as { numUnique?: unknown; record?: unknown; ifMatch?: unknown };
      const numUnique = typeof item.numUnique === 'string' ? item.numUnique : '';
      if (!NUM_UNIQUE_PATTERN.test(numUnique)) {
        results[at] = { status: 400, error: 'invalid_num_unique' };
        return;
      }
      const ifMatch = item.ifMatch === undefined || item.ifMatch === '*' ? item.ifMatch : Number.isInteger(item.ifMatch) ? (item.ifMatch as number) : 'invalid';
      if (ifMatch === 'invalid') {
        results[at] = { numUnique, status: 400, error: 'invalid_if_match' };
        return;
      }
      const protocol = protocolIssues(item.record, numUnique);
      const issues = protocol.length > 0 ? protocol : validateRecord(item.record, { numUnique });
      if (issues.length > 0) {
        results[at] = { numUnique, status: 422, error: 'invalid_record', errors: issues };
        return;
      }
      valid.push({ at, numUnique, record: item.record, ifMatch });
    });
    store.putDemandes(valid).forEach((r, k) => {
      const { at, numUnique } = valid[k]!;
      if (r.outcome === 'not_found') results[at] = { numUnique, status: 404, error: 'not_found' };
      else if (r.outcome === 'conflict') results[at] = { numUnique, status: 409, error: 'conflict', reason: r.reason, currentVersion: r.currentVersion };
      else results[at] = { numUnique, status: r.outcome === 'created' ? 201 : 200, version: r.version, updatedAt: r.updatedAt, outcome: r.outcome };
    });
    return res.status(200).json({ results });
  });

  app.put('/demandes/:numUnique', (req, res) => {
    const numUnique = req.params.numUnique;
    if (!NUM_UNIQUE_PATTERN.test(numUnique)) return problem(res, 400, 'invalid_num_unique', 'numUnique is malformed');
    const ifMatch = parseIfMatch(req.get('If-Match'));
    if (ifMatch === 'invalid') {
      return problem(res, 400, 'invalid_if_match', 'If-Match must be *, a version, or a quoted version');
    }
    if (!isJsonBody(req)) return problem(res, 415, 'unsupported_media_type', 'the body must be application/json');
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('record' in body)) {
      return res.status(422).json({
        error: 'invalid_record',
        message: 'the body must be an object with a record',
        errors: [{ path: '', rule: 'required', message: 'record is required' }],
      });
    }
    const record = (body as { record: unknown }).record;
    const protocol = protocolIssues(record, numUnique);
    const issues = protocol.length > 0 ? protocol : validateRecord(record, { numUnique });
    if (issues.length > 0) {
      return res
        .status(422)
        .json({ error: 'invalid_record', message: `the record breaks ${issues.length} rule(s)`, errors: issues });
    }
    const result = store.putDemande(numUnique, record, ifMatch);
    switch (result.outcome) {
      case 'not_found':
        return problem(res, 404, 'not_found', 'no demand with this numUnique to update');
      case 'conflict':
        return problem(
          res,
          409,
          'conflict',
          result.reason === 'exists'
            ? 'the demand already exists: send If-Match with its version to update it'
            : 'the demand changed on the local side since the version in If-Match',
          { reason: result.reason, currentVersion: result.currentVersion, updatedAt: result.updatedAt },
        );
      default: {
        const status = result.outcome === 'created' ? 201 : 200;
        if (status === 201) res.set('Location', `/demandes/${encodeURIComponent(numUnique)}`);
        return res.status(status).set('ETag', etag(result.version)).json({
          numUnique,
          version: result.version,
          updatedAt: result.updatedAt,
          outcome: result.outcome,
        });
      }
    }
  });

  // ---- evenements ------------------------------------------------------------------------------
  app.get('/evenements', (req, res) => {
    const limit = queryInt(req.query.limit, PAGE_LIMIT.default, 1, PAGE_LIMIT.max);
    if (limit === null) return problem(res, 400, 'invalid_limit', `limit must be an integer in 1..${PAGE_LIMIT.max}`);
    const after = queryInt(req.query.after, 0, 0, Number.MAX_SAFE_INTEGER);
    if (after === null) return problem(res, 400, 'invalid_after', 'after must be a non-negative integer');
    const items = store.listEvenements(after, limit);
    const last = items[items.length - 1];
    res.status(200).json({ items, nextAfter: last === undefined ? after : last.seq });
  });

  app.post('/evenements', (req, res) => {
    if (!isJsonBody(req)) return problem(res, 415, 'unsupported_media_type', 'the body must be application/json');
    const parsed = newEvenementSchema.safeParse(req.body);
    if (!parsed.success) {
      return res
        .status(422)
        .json({ error: 'invalid_evenement', message: 'the event breaks some rules', errors: issuesFromZod(parsed.error) });
    }
    const { evenement, created } = store.addEvenement(parsed.data);
    res
      .status(created ? 201 : 200)
      .set('Location', `/evenements/${encodeURIComponent(evenement.id)}`)
      .json(evenement);
  });

  app.post('/evenements/:id/acquittements', (req, res) => {
    const id = req.params.id;
    if (!EVENT_ID_PATTERN.test(id)) return problem(res, 404, 'not_found', 'no event with this id');
    if (!isJsonBody(req)) return problem(res, 415, 'unsupported_media_type', 'the body must be application/json');
    const parsed = newAcquittementSchema.safeParse(req.body);
    if (!parsed.success) {
      return res.status(422).json({
        error: 'invalid_acquittement',
        message: 'the acknowledgement breaks some rules',
        errors: issuesFromZod(parsed.error),
      });
    }
    const ack = store.addAcquittement(id, parsed.data);
    if (ack === null) return problem(res, 404, 'not_found', 'no event with this id');
    res.status(201).json(ack);
  });

  app.get('/evenements/:id/acquittements', (req, res) => {
    const id = req.params.id;
    const items = EVENT_ID_PATTERN.test(id) ? store.listAcquittements(id) : null;
    if (items === null) return problem(res, 404, 'not_found', 'no event with this id');
    res.status(200).json({ items });
  });

  // ---- simulator-only admin surface ------------------------------------------------------------
  app.get('/_sim/stats', (req, res) => {
    const asked = req.query.numUnique;
    const numUniques = (Array.isArray(asked) ? asked : asked === undefined ? [] : [asked]).filter(
      (n): n is string => typeof n === 'string',
    );
    res.status(200).json(store.stats(numUniques));
  });

  app.post('/_sim/demandes/:numUnique/touch', (req, res) => {
    const parsed = touchBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      return res
        .status(400)
        .json({ error: 'invalid_patch', message: 'the patch is not a JSON Patch', errors: issuesFromZod(parsed.error) });
    }
    const patch = parsed.data.patch;
    try {
      const touched = store.touch(req.params.numUnique, patch ? (r) => applyJsonPatch(r, patch) : undefined);
      if (touched === null) return problem(res, 404, 'not_found', 'no demand with this numUnique');
      res.status(200).set('ETag', etag(touched.version)).json({
        numUnique: touched.numUnique,
        version: touched.version,
        updatedAt: touched.updatedAt,
      });
    } catch (err) {
      if (!(err instanceof JsonPatchError)) throw err;
      problem(res, 400, 'invalid_patch', err.message);
    }
  });

  app.post('/_sim/reset', (_req, res) => {
    store.reset();
    faults.clear();
    res.status(204).end();
  });

  app.use((_req, res) => problem(res, 404, 'no_route', 'no such route'));

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
    if (type === 'entity.parse.failed') return problem(res, 400, 'invalid_json', 'the body is not valid JSON');
    if (type === 'entity.too.large') return problem(res, 413, 'too_large', 'the body is too large');
    // Only the error's name: a message may quote a record.
    logger.error('local simulator: unexpected error', { error: err instanceof Error ? err.name : typeof err });
    if (!res.headersSent) problem(res, 500, 'internal', 'unexpected error');
  };
  app.use(onError);
  return app;
}
