/**
 * HTTP routes of the SNE simulator: the SOAP endpoint `POST /services/DemandeLogementImplService/`, and
 * the simulator-only admin surface under `/_sim` (never faulted).
 *
 * Every operation is POSTed to the same path; so that faults can target one operation, the request is
 * routed internally to `/services/DemandeLogementImplService/<operation>` (read from the `action`
 * parameter of its Content-Type) before the fault middleware sees it. A fault with
 * `path: '/services/DemandeLogementImplService/getNumUnique'` hits writes only; `/services/*` hits all.
 */
import type { TLSSocket } from 'node:tls';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import { validateDemande, type Demande } from '../../domain';
import type { FaultInjector } from '../common/faults';
import { applyJsonPatch, JsonPatchError, jsonPatchSchema } from '../common/json-patch';
import { silentLogger, type SimulatorLogger } from '../common/logger';
import {
  buildSneFaultResponse,
  parseMediaType,
  SNE_ENDPOINT_PATH,
  SNE_OPERATIONS,
  SNE_SERVICE_NS,
  type BuiltSneResponse,
  type SneOperation,
} from '../../systems/sne/wire';
import type { SneService } from './service';
import { dayOf } from './service';
import { ChangeKind, type SneRecord, type SneStore } from './store';

export interface SneAppOptions {
  service: SneService;
  store: SneStore;
  faults: FaultInjector;
  clock: () => Date;
  timeZone: string;
  /** Called after an admin change (the auto-dispatch). */
  onChange?: (record: SneRecord) => Promise<void>;
  /** `POST /_sim/dispatch`; absent when the simulator has no dispatch folder. */
  dispatchAll?: (options: { all?: boolean; numUniques?: string[]; form?: 'demande' | 'demandeLogement'; perFile?: number }) => Promise<unknown>;
  logger?: SimulatorLogger;
  /** Largest request body (default 25 MiB). */
  maxBodyBytes?: number;
  /**
   * Refuse, with HTTP 403 and no SOAP body, a TLS client whose certificate is missing or not signed by
   * the configured CA (the server asks for one but lets the handshake finish; see server.ts).
   */
  requireClientCert?: boolean;
  /** Path of the service (default the SNE's `/services/DemandeLogementImplService/`); an SPTA's own. */
  endpointPath?: string;
  /** Namespace the `action` parameter is read in (default the SNE's service namespace). */
  serviceNamespace?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The operation a request names in its Content-Type `action` parameter, if any. */
export function operationOfContentType(contentType: string | undefined, serviceNamespace: string = SNE_SERVICE_NS): SneOperation | undefined {
  if (!contentType) return undefined;
  try {
    const action = parseMediaType(contentType).params.action ?? '';
    const name = action.startsWith(serviceNamespace) ? action.slice(serviceNamespace.length) : '';
    return (SNE_OPERATIONS as readonly string[]).includes(name) ? (name as SneOperation) : undefined;
  } catch {
    // A malformed Content-Type is the service handler's to refuse.
    return undefined;
  }
}

function send(res: Response, answer: BuiltSneResponse): void {
  res.status(answer.status).setHeader('Content-Type', answer.contentType);
  res.end(answer.body);
}

const dispatchBodySchema = z.strictObject({
  all: z.boolean().optional(),
  numUniques: z.array(z.string().min(1).max(18)).max(100_000).optional(),
  form: z.enum(['demande', 'demandeLogement']).optional(),
  perFile: z.number().int().positive().optional(),
});

const daloBodySchema = z.strictObject({ at: z.iso.datetime({ offset: true }).optional() }).default({});

export function createSneApp(options: SneAppOptions): Express {
  const { service, store, faults } = options;
  const logger = options.logger ?? silentLogger;
  const endpointPath = `${(options.endpointPath ?? SNE_ENDPOINT_PATH).replace(/\/+$/, '')}/`;
  const endpoint = endpointPath.slice(0, -1);
  const endpointRoute = new RegExp(`^${escapeRegExp(endpoint)}(?:/[A-Za-z]*)?/?$`);
  const serviceNs = options.serviceNamespace ?? SNE_SERVICE_NS;
  const app = express();
  app.disable('x-powered-by');

  if (options.requireClientCert) {
    app.use((req, res, next) => {
      if ((req.socket as TLSSocket).authorized === true) {
        next();
        return;
      }
      res.status(403).type('text/plain').send('client certificate required\n');
    });
  }

  app.use((req, _res, next) => {
    if (req.method === 'POST' && (req.path === endpoint || req.path === endpointPath)) {
      const op = operationOfContentType(req.headers['content-type'], serviceNs);
      if (op) req.url = `${endpointPath}${op}`;
    }
    next();
  });

  app.use(faults.adminRouter());
  app.use(adminRouter(options));
  app.use(faults.middleware());

  app.post(endpointRoute, express.raw({ type: () => true, limit: options.maxBodyBytes ?? 25 * 1024 * 1024 }), async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    send(res, await service.handle(req.headers['content-type'], body));
  });
  app.all(endpointRoute, (_req, res) => {
    res.status(405).set('Allow', 'POST').end();
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status = (err as { status?: unknown })?.status;
    if (req.path.startsWith('/_sim/')) {
      res.status(typeof status === 'number' && status < 500 ? status : 500).json({ error: 'error', message: 'the admin request failed' });
      return;
    }
    if (typeof status === 'number' && status === 413) {
      send(res, buildSneFaultResponse({ code: 'Sender', reason: 'the request is too large', serviceNamespace: serviceNs }));
      return;
    }
    logger.error('SNE simulator failure', { name: err instanceof Error ? err.name : typeof err });
    store.countFault();
    send(res, buildSneFaultResponse({ code: 'Receiver', reason: 'Erreur technique du simulateur', serviceNamespace: serviceNs }));
  };
  app.use(onError);
  return app;
}

function adminRouter(options: SneAppOptions): express.Router {
  const { store } = options;
  const router = express.Router();
  router.use('/_sim', express.json({ limit: '5mb' }));

  router.get('/_sim/stats', (_req, res) => {
    res.json(store.stats());
  });

  router.get('/_sim/demandes/:numUnique', (req, res) => {
    const r = store.get(String(req.params.numUnique));
    if (!r) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    res.json(r.demande);
  });

  router.get('/_sim/records/:numUnique', (req, res) => {
    const r = store.get(String(req.params.numUnique));
    if (!r) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    res.json(r);
  });

  router.get('/_sim/writes', (req, res) => {
    const nu = typeof req.query.numUnique === 'string' ? req.query.numUnique : undefined;
    res.json(store.writes(nu));
  });

  // "Someone changed it on their side": another desk's change, applied like a MOD (and dispatched).
  router.patch('/_sim/demandes/:numUnique', async (req, res) => {
    const nu = String(req.params.numUnique);
    const current = store.get(nu);
    if (!current) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    const patch = jsonPatchSchema.safeParse(req.body);
    if (!patch.success) {
      res.status(400).json({ error: 'invalid_patch' });
      return;
    }
    let next: unknown;
    try {
      next = applyJsonPatch(current.demande, patch.data);
    } catch (e) {
      if (e instanceof JsonPatchError) {
        res.status(422).json({ error: 'patch_failed', message: e.message });
        return;
      }
      throw e;
    }
    const v = validateDemande(next);
    // As strict as a write: unknown codes are refused too.
    const issues = v.ok
      ? [
          ...(v.demande.numUnique === nu ? [] : [{ path: 'numUnique', rule: 'unchanged', message: 'numUnique cannot change' }]),
          ...v.warnings.filter((w) => w.rule === 'unknown-code').map(({ path, rule, message }) => ({ path, rule, message })),
        ]
      : v.issues;
    if (!v.ok || issues.length) {
      res.status(422).json({ error: 'invalid_demande', issues });
      return;
    }
    const now = options.clock().toISOString();
    const d: Demande = v.demande;
    const radiatedAt = d.radiation === undefined ? undefined : current.demande.radiation === undefined ? now : current.radiatedAt;
    const daloAt = d.dalo?.dateDecision !== undefined && d.dalo.dateDecision !== current.demande.dalo?.dateDecision ? now : current.daloAt;
    const record = store.put({
      numUnique: nu,
      demande: d,
      origin: current.origin,
      ...(radiatedAt ? { radiatedAt } : {}),
      ...(daloAt ? { daloAt } : {}),
    });
    if (options.onChange) await options.onChange(record);
    res.json(record.demande);
  });

  router.post('/_sim/dalo/:numUnique', async (req, res) => {
    const nu = String(req.params.numUnique);
    const current = store.get(nu);
    const body = daloBodySchema.safeParse(req.body ?? {});
    if (!body.success) {
      res.status(400).json({ error: 'invalid_body' });
      return;
    }
    if (!current) {
      res.status(404).json({ error: 'not_found' });
      return;
    }
    const at = body.data.at ? new Date(body.data.at) : options.clock();
    const demande: Demande = { ...current.demande, dalo: { statut: 'ACTIF', dateDecision: dayOf(at, options.timeZone) } };
    const record = store.put({
      numUnique: nu,
      demande,
      origin: current.origin,
      ...(current.radiatedAt ? { radiatedAt: current.radiatedAt } : {}),
      daloAt: at.toISOString(),
    });
    if (options.onChange) await options.onChange(record);
    res.json({ numUnique: nu, daloAt: record.daloAt, kind: ChangeKind.dalo });
  });

  router.post('/_sim/dispatch', async (req, res) => {
    const body = dispatchBodySchema.safeParse(req.body ?? {});
    if (!body.success) {
      res.status(400).json({ error: 'invalid_body' });
      return;
    }
    if (!options.dispatchAll) {
      res.status(409).json({ error: 'no_dispatch_dir', message: 'start the simulator with dispatchDir or autoDispatch' });
      return;
    }
    if (!body.data.all && !body.data.numUniques?.length) {
      res.status(400).json({ error: 'invalid_body', message: 'give all: true or numUniques' });
      return;
    }
    res.json(await options.dispatchAll(body.data));
  });

  return router;
}
