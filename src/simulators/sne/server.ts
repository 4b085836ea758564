/**
 * `startSneSimulator`: a strict stand-in of the SNE web service on loopback, for the demo, the
 * integration tests and the benchmarks. Same wire format as the real service (SOAP 1.2, XOP/MTOM),
 * mutual TLS when given TLS material, a stock of synthetic demands, fault injection, dispatch files.
 */
import { createInterfaceNuuCodec, loadElementTable, type DispatchForm, type ElementTable, type InterfaceNuuCodec } from '../../codec';
import type { IsoDate } from '../../domain';
import type { Seed, TerritoryKey } from '../../synthetic';
import { SNE_TIME_ZONE } from '../../systems/sne/wire';
import { FaultInjector } from '../common/faults';
import { startHttpServer } from '../common/http-server';
import { silentLogger, type SimulatorLogger } from '../common/logger';
import { createSneApp } from './app';
import { DispatchWriter, type WrittenDispatchFile } from './dispatch';
import { SneService, type SneServiceOptions } from './service';
import { SneStore, type SneRecord, type SneStats } from './store';

export interface SneSimulatorTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA the client certificates must chain to. */
  ca: string | Buffer;
  /** Default true: a client without a certificate signed by `ca` is refused. */
  requireClientCert?: boolean;
  /**
   * Where a refused client certificate is refused (default `http`):
   * - `http`: the handshake completes and every request is answered 403 (as a reverse proxy such as
   *   nginx with `ssl_verify_client on` does): the client gets a clear, permanent `SNE_AUTH`;
   * - `handshake`: the connection is cut during the TLS handshake (Node's `rejectUnauthorized`). A Node
   *   server sends no alert then: the client sees a bare connection reset (`ECONNRESET`), which it cannot
   *   tell from a network failure (transient). Kept to exercise that case.
   */
  refuseAt?: 'http' | 'handshake';
}

export interface SneSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** HTTPS with mutual TLS; plain HTTP when absent. */
  tls?: SneSimulatorTls;
  /** The seeded stock: `count` demands of `seed` from `startIndex` (default: empty stock). */
  seed?: Seed;
  count?: number;
  startIndex?: number;
  territory?: TerritoryKey | string;
  today?: IsoDate;
  /** JSON-lines file of every change, replayed on start (in memory only when absent). */
  persistPath?: string;
  /** Start indexing the seeded stock at once (default true). */
  indexAtStart?: boolean;
  codec?: InterfaceNuuCodec;
  elements?: ElementTable;
  /** The simulator's own desk code, in dispatch file names (default `G0000`). */
  guichet?: string;
  /** Desks allowed to write and to use the "since" services (any when absent). */
  guichets?: readonly string[];
  /** `versionInterface` values accepted (default 02.00, 02.01). */
  versions?: readonly string[];
  /** Every later creation or change also writes a one-demand dispatch file in this folder. */
  autoDispatch?: string;
  /** Folder of `POST /_sim/dispatch` (default `autoDispatch`). */
  dispatchDir?: string;
  packaging?: 'mtom' | 'soap';
  payloadAsAttachment?: boolean;
  faultSeed?: number;
  clock?: () => Date;
  timeZone?: string;
  logger?: SimulatorLogger;
  /** How long `close()` lets running requests finish (default 1000 ms). */
  closeGraceMs?: number;
  /**
   * For an SPTA speaking the SNE protocol (the SPTA simulator builds on this one): its service path and
   * namespace (default the SNE's), extra checks of the files written to it, and its name in logs.
   */
  endpointPath?: string;
  serviceNamespace?: string;
  checkDocument?: SneServiceOptions['checkDocument'];
  name?: string;
}

export interface WriteDispatchFileOptions {
  dir: string;
  numUniques?: readonly string[];
  all?: boolean;
  form?: DispatchForm;
  perFile?: number;
}

export interface DispatchResult {
  files: WrittenDispatchFile[];
  demandes: number;
  /** Asked numéros uniques the stock does not hold. */
  missing: string[];
}

export interface RunningSneSimulator {
  /** Base URL (`https://127.0.0.1:port`); the service is at `<url>/services/DemandeLogementImplService/`. */
  url: string;
  port: number;
  store: SneStore;
  faults: FaultInjector;
  /** What answers each request (an SPTA's file-exchange robot hands it the files it picks up). */
  service: SneService;
  stats(): SneStats;
  /** Writes `DIS` files of the asked demands (or of the whole stock, streamed) into `dir`. */
  writeDispatchFile(options: WriteDispatchFileOptions): Promise<DispatchResult>;
  /** Stops the server, waits for pending dispatch files, closes the store; idempotent. */
  close(): Promise<void>;
}

export async function startSneSimulator(options: SneSimulatorOptions = {}): Promise<RunningSneSimulator> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? (() => new Date());
  const timeZone = options.timeZone ?? SNE_TIME_ZONE;
  const elements = options.elements ?? loadElementTable();
  const codec = options.codec ?? createInterfaceNuuCodec({ elements });
  const versions = options.versions ?? ['02.00', '02.01'];
  const store = new SneStore({
    seed: options.seed ?? 1,
    count: options.count ?? 0,
    startIndex: options.startIndex ?? 0,
    ...(options.territory === undefined ? {} : { territory: options.territory }),
    ...(options.today === undefined ? {} : { today: options.today }),
    ...(options.persistPath === undefined ? {} : { persistPath: options.persistPath }),
    indexAtStart: options.indexAtStart ?? true,
    clock,
    timeZone,
  });
  const writer = new DispatchWriter({ codec, guichet: options.guichet ?? 'G0000', versionInterface: versions[versions.length - 1] ?? '02.01', clock, timeZone });

  async function writeDispatchFile(o: WriteDispatchFileOptions): Promise<DispatchResult> {
    const missing: string[] = [];
    let demandes = 0;
    function* selected(): Generator<SneRecord['demande']> {
      if (o.all) {
        for (const r of store.iterate()) {
          demandes++;
          yield r.demande;
        }
        return;
      }
      for (const nu of o.numUniques ?? []) {
        const r = store.get(nu);
        if (!r) missing.push(nu);
        else {
          demandes++;
          yield r.demande;
        }
      }
    }
    const files = await writer.write(selected(), { dir: o.dir, ...(o.form ? { form: o.form } : {}), ...(o.perFile ? { perFile: o.perFile } : {}) });
    for (let i = 0; i < files.length; i++) store.countDispatchFile();
    return { files, demandes, missing };
  }

  // Auto-dispatch files are written one after the other, in the order of the changes.
  let chain: Promise<unknown> = Promise.resolve();
  const autoDir = options.autoDispatch;
  const onChange = autoDir
    ? (record: SneRecord): Promise<void> => {
        const mine = chain.then(() => writeDispatchFile({ dir: autoDir, numUniques: [record.numUnique], perFile: 1 }));
        chain = mine.catch(() => undefined);
        return mine.then(() => undefined);
      }
    : undefined;

  const service = new SneService({
    store,
    codec,
    elements,
    versions,
    ...(options.guichets ? { guichets: options.guichets } : {}),
    clock,
    timeZone,
    ...(options.packaging ? { packaging: options.packaging } : {}),
    ...(options.payloadAsAttachment === undefined ? {} : { payloadAsAttachment: options.payloadAsAttachment }),
    ...(onChange ? { onChange } : {}),
    ...(options.serviceNamespace === undefined ? {} : { serviceNamespace: options.serviceNamespace }),
    ...(options.checkDocument ? { checkDocument: options.checkDocument } : {}),
  });
  const faults = new FaultInjector({ seed: options.faultSeed ?? 1, now: () => clock().getTime() });
  const dispatchDir = options.dispatchDir ?? autoDir;
  const requireClientCert = options.tls !== undefined && (options.tls.requireClientCert ?? true);
  const app = createSneApp({
    requireClientCert,
    service,
    store,
    faults,
    clock,
    timeZone,
    logger,
    ...(options.endpointPath === undefined ? {} : { endpointPath: options.endpointPath }),
    ...(options.serviceNamespace === undefined ? {} : { serviceNamespace: options.serviceNamespace }),
    ...(onChange ? { onChange } : {}),
    ...(dispatchDir
      ? { dispatchAll: (b: { all?: boolean; numUniques?: string[]; form?: DispatchForm; perFile?: number }) => writeDispatchFile({ ...b, dir: dispatchDir }) }
      : {}),
  });

  let server;
  try {
    server = await startHttpServer({
      app,
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      ...(options.tls
        ? {
            tls: {
              cert: options.tls.cert,
              key: options.tls.key,
              ca: options.tls.ca,
              requestCert: requireClientCert,
              rejectUnauthorized: requireClientCert && options.tls.refuseAt === 'handshake',
            },
          }
        : {}),
      graceMs: options.closeGraceMs ?? 1000,
      beforeClose: () => faults.releaseHeld(),
    });
  } catch (e) {
    store.close();
    throw e;
  }
  const name = options.name ?? 'SNE simulator';
  logger.info(`${name} listening`, { url: server.url, count: store.count });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= server
      .close()
      .then(() => chain)
      .then(() => {
        store.close();
        logger.info(`${name} closed`, { url: server.url });
      });
    return closing;
  };
  return { url: server.url, port: server.port, store, faults, service, stats: () => store.stats(), writeDispatchFile, close };
}
