/**
 * The SPTA connector: one configured SPTA (`spta[i]`) as a `DemandSystem` with id `spta:<id>`, driven by
 * its profile (`mappings/spta/<profile>.yaml`).
 *
 * - `transport: webservice`: the SNE client itself (SOAP 1.2 / XOP-MTOM, mutual TLS, error classes,
 *   anomalies, duplicate-safe naming), given the profile's dialect codec (renames and code translations,
 *   both ways) and the profile's endpoint path and service namespace. Extra blocks are renamed like the
 *   demand; errors carry `system: 'spta:<id>'` and keep their `SNE_*` codes (the protocol is the SNE's).
 * - `transport: files`: see ./files.ts (writes through a shared folder, reads unsupported).
 *
 * Event blocks' codes are translated upstream, by the push pipeline's translation (`sptaTranslate`).
 */
import { type ElementTable, type InterfaceNuuCodec, loadElementTable } from '../../codec';
import type { SneConfig, SptaConfig } from '../../config';
import { PermanentError } from '../../errors';
import type { Logger } from '../../logging';
import type { DemandSystem, SubmitRequest } from '../port';
import { createSneClient, defaultAnomalyTablePath, type FileCounter } from '../sne/client';
import { loadAnomalyTable, type AnomalyTable, type SneTransportOptions } from '../sne/wire';
import { renameBlocks, stamped } from './dialect';
import { SptaErrorCode, sptaSystemId } from './errors';
import { createSptaFileClient } from './files';
import { createSptaCodec, DEFAULT_SPTA_PROFILES_DIR, loadSptaProfile, type SptaProfile } from './profile';

export interface SptaClientOptions {
  /** The configuration entry (`spta[i]`): id, transport, url or dropDir, TLS, timeout. */
  config: SptaConfig;
  profile: SptaProfile;
  /** Registration desk code of this gateway (`sne.guichet`): in file and certificate names. */
  guichet: string;
  /** `versionInterface` of the files sent when the profile names none (`sne.interfaceVersion`). */
  interfaceVersion: string;
  /** The SNE element table the dialect renames (default the shipped one). */
  elements?: ElementTable;
  /** Default `mappings/sne/anomalies.yaml`: SPTAs answer with the SNE's anomaly codes. */
  anomalyTable?: AnomalyTable;
  /** Web service only: the PEM sent in `certificat`, its name, the "not found" codes (see the SNE client). */
  certificate?: string | Buffer;
  certificateName?: string;
  notFoundCodes?: readonly string[];
  /** Web service only: an agent of the caller's, a response size limit. */
  transportOptions?: Pick<SneTransportOptions, 'httpsAgent' | 'maxResponseBytes'>;
  /** Files only: how often the return file is looked for (default 200 ms). */
  filePollMs?: number;
  clock?: () => Date;
  counter?: FileCounter;
  timeZone?: string;
  logger?: Logger;
}

/** An SPTA as a `DemandSystem`, with what it was made from. */
export type SptaClient = DemandSystem & {
  readonly profile: SptaProfile;
  readonly transportKind: SptaConfig['transport'];
  /** False on a file exchange: `getDemande`, the "since" services and `doublons` are unsupported. */
  readonly reads: boolean;
  /** The dialect codec (for a dispatch source reading this SPTA's files). */
  readonly codec: InterfaceNuuCodec;
  /** Web service: the URL requests go to; files: the folder demand files go to. */
  readonly endpoint: string;
};

/** Creates the client of one configured SPTA. Throws `SNE_TRANSPORT_CONFIG` on a bad URL or unreadable TLS files. */
export function createSptaClient(options: SptaClientOptions): SptaClient {
  const { config, profile } = options;
  const id = sptaSystemId(config.id);
  const codec = createSptaCodec(profile, options.elements ?? loadElementTable());
  const anomalyTable = options.anomalyTable ?? loadAnomalyTable(defaultAnomalyTablePath);
  const interfaceVersion = profile.interfaceVersion ?? options.interfaceVersion;
  const common = {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.counter ? { counter: options.counter } : {}),
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };

  const required = config.transport === 'files' ? config.dropDir : config.url;
  if (!required) {
    const field = config.transport === 'files' ? 'dropDir' : 'url';
    throw new PermanentError(SptaErrorCode.config, `${id}: transport ${config.transport} needs ${field}`, { system: id, details: { field } });
  }

  if (config.transport === 'files') {
    const files = createSptaFileClient({
      id,
      dropDir: required,
      layout: profile.transport.files,
      guichet: options.guichet,
      interfaceVersion,
      codec,
      renames: profile.renames,
      anomalyTable,
      timeoutMs: config.timeoutMs,
      ...(options.filePollMs === undefined ? {} : { pollMs: options.filePollMs }),
      ...common,
    });
    return { ...files, profile, transportKind: 'files', reads: false, codec, endpoint: files.folders.out };
  }

  const tls = config.tls ? { cert: config.tls.cert, key: config.tls.key, ...(config.tls.ca ? { ca: config.tls.ca } : {}) } : undefined;
  const sne = createSneClient({
    id,
    url: required,
    guichet: options.guichet,
    ...(tls ? { tls } : {}),
    timeoutMs: config.timeoutMs,
    interfaceVersion,
    codec,
    anomalyTable,
    ...(options.certificate === undefined ? {} : { certificate: options.certificate }),
    ...(options.certificateName === undefined ? {} : { certificateName: options.certificateName }),
    ...(options.notFoundCodes === undefined ? {} : { notFoundCodes: options.notFoundCodes }),
    transportOptions: { ...options.transportOptions, endpointPath: profile.transport.webservice.endpointPath, serviceNamespace: profile.transport.webservice.serviceNamespace },
    ...common,
  });
  return {
    id,
    profile,
    transportKind: 'webservice',
    reads: true,
    codec,
    endpoint: sne.transport.endpoint,
    getDemande: (numUnique) => stamped(id, () => sne.getDemande(numUnique)),
    radieesDepuis: (since) => stamped(id, () => sne.radieesDepuis(since)),
    nouveauxDaloDepuis: (since) => stamped(id, () => sne.nouveauxDaloDepuis(since)),
    doublons: (demande) => stamped(id, () => sne.doublons(demande)),
    submit: (request: SubmitRequest) =>
      stamped(id, () => sne.submit(request.blocks?.length ? { ...request, blocks: renameBlocks(request.blocks, profile.renames) } : request)),
    close: () => sne.close(),
  };
}

/** What `sptaClientFromConfig` needs besides the entry. */
export type SptaClientDeps = Omit<SptaClientOptions, 'config' | 'profile' | 'guichet' | 'interfaceVersion'> & {
  /** The `sne` section: this gateway's desk code and the default interface version. */
  sne: Pick<SneConfig, 'guichet' | 'interfaceVersion'>;
  /** Where profiles are read (default `mappings/spta/`). */
  profilesDir?: string;
  /** An already loaded profile (default: loaded from `profilesDir` by the entry's `profile`). */
  profile?: SptaProfile;
};

/** The client of one `spta[i]` entry; its profile is loaded (and validated) now unless given. */
export function sptaClientFromConfig(config: SptaConfig, deps: SptaClientDeps): SptaClient {
  const { sne, profilesDir, profile, ...rest } = deps;
  const elements = rest.elements ?? loadElementTable();
  return createSptaClient({
    ...rest,
    elements,
    config,
    profile: profile ?? loadSptaProfile(config.profile, profilesDir ?? DEFAULT_SPTA_PROFILES_DIR, { elements }),
    guichet: sne.guichet,
    interfaceVersion: sne.interfaceVersion,
  });
}
