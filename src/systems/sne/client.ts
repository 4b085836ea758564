/**
 * The SNE client: the `DemandSystem` port (../port.ts) on top of the wire layer (./wire) and the
 * `interfaceNuu` codec. One object per configured SNE endpoint; it owns its transport (keep-alive agent).
 *
 * - `submit` is the single write (`getNumUnique`): the demand is written with the codec (plus extra
 *   blocks, see `insertBlocks`), named `DEM<guichet>-<YYYYMMDDHHMM>-<counter>.xml` and sent once. The
 *   client never retries: a timeout after sending comes out ambiguous (`SNE_TIMEOUT_AFTER_SEND`) and the
 *   caller decides (read the demand back, or park it).
 * - Anomalies in an answer are thrown as `SNE_ANOMALY` (`classifyAnomalies`: transient only when every
 *   code is known and retryable), except on `getDemandeLogement` where the "unknown numUnique" codes
 *   (`notFoundCodes`, default `CTRL_DEM_0020`) mean `null`. An empty answer, or one without any demand,
 *   also means `null` there.
 * - The two "since" services return every demand the service lists (the service has no paging). The
 *   `requestedAt` of the answer is taken **before** the call, so using it as the next `since` can only
 *   repeat a demand at the boundary, never miss one.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { InterfaceNuuCodec, DemandeResult, TypeFichier } from '../../codec';
import type { SneConfig } from '../../config';
import type { Demande } from '../../domain';
import { AmbiguousError, TransientError, ValidationError, type Issue } from '../../errors';
import type { Logger } from '../../logging';
import type { DemandesDepuis, DemandSystem, Doublon, ElementTree, SubmitRequest, SubmitResult } from '../port';
import {
  classifyAnomalies,
  createSneTransport,
  formatSneDateTime,
  loadAnomalyTable,
  nameTimestamp,
  nomCertificat as formatNomCertificat,
  nomFichierDemande as formatNomFichierDemande,
  SNE_SYSTEM,
  SNE_TIME_ZONE,
  SneErrorCode,
  type AnomalyTable,
  type SneOperation,
  type SneSuccess,
  type SneTlsOptions,
  type SneTransport,
  type SneTransportOptions,
} from './wire';
import { escapeXmlAttribute, escapeXmlText, isXmlSafe, parseXml, type XmlElement } from './wire/xml';

/** Codes of the client itself (the wire layer's are in `SneErrorCode`). */
export const SneClientErrorCode = {
  /** A write answered without error but without a numéro unique for a creation: it may have registered. */
  noNumUnique: 'SNE_NO_NUM_UNIQUE',
  /** More than 999,999 files in one minute: wait for the next minute. */
  counterExhausted: 'SNE_FILE_COUNTER_EXHAUSTED',
  /** An answer of another kind than the operation gives (a `listeDoublons` to a read...). */
  unexpectedPayload: 'SNE_UNEXPECTED_PAYLOAD',
} as const;

/** The anomaly table shipped with the gateway. */
export const defaultAnomalyTablePath = join(__dirname, '..', '..', '..', 'mappings', 'sne', 'anomalies.yaml');

/** Codes meaning "this numéro unique is not known" on `getDemandeLogement`. */
export const DEFAULT_NOT_FOUND_CODES: readonly string[] = ['CTRL_DEM_0020'];

/**
 * What the `certificat` part carries when no certificate is configured (plain HTTP to the simulator):
 * PEM-shaped, so the part is never empty, and obviously not a certificate.
 */
export const PLACEHOLDER_CERTIFICATE =
  '-----BEGIN CERTIFICATE-----\nTk8gQ0xJRU5UIENFUlRJRklDQVRFIENPTkZJR1VSRUQ=\n-----END CERTIFICATE-----\n';

/**
 * The 6-digit counter of a file name: a number 0..999999 never given twice for the minute of `at`.
 * May be async, to persist it (e.g. an INCR on a Redis key per minute).
 */
export type FileCounter = (at: Date) => number | Promise<number>;

export interface ClockFileCounterOptions {
  clock?: () => Date;
  timeZone?: string;
}

/** Slots of the counter per millisecond of a minute: 60,000 ms x 16 = 960,000 < 1,000,000. */
const SLOTS_PER_MS = 16;
const MINUTES_KEPT = 64;

/**
 * The default counter: in memory, seeded from the clock. For a minute M, each value is at least
 * `16 x (milliseconds elapsed in the current minute)` and more than the previous value given for M.
 *
 * Why a restart cannot reuse a name of the current minute: a new process starting at time t' gives
 * values >= 16 x ms(t'); the old process gave, at each time t < t', at most 16 x ms(t) plus the files it
 * sent in bursts faster than 16 per millisecond. At any rate the SNE accepts (a few calls per second),
 * the old values stay below 16 x ms(t'), so no name repeats. Files dated in the past (`at` given, e.g. a
 * replay) are only unique within one process: inject a persistent counter when that matters.
 */
export function createClockFileCounter(options: ClockFileCounterOptions = {}): FileCounter {
  const clock = options.clock ?? (() => new Date());
  const timeZone = options.timeZone ?? SNE_TIME_ZONE;
  const last = new Map<string, number>();
  return (at: Date): number => {
    const key = nameTimestamp(at, timeZone);
    const now = clock().getTime();
    const slot = (((now % 60_000) + 60_000) % 60_000) * SLOTS_PER_MS;
    const previous = last.get(key);
    const value = Math.max(previous === undefined ? 0 : previous + 1, slot);
    if (value > 999_999) {
      throw new TransientError(SneClientErrorCode.counterExhausted, 'SNE: more than 999999 files named in one minute; wait for the next minute', {
        system: SNE_SYSTEM,
      });
    }
    last.delete(key);
    last.set(key, value);
    if (last.size > MINUTES_KEPT) last.delete(last.keys().next().value as string);
    return value;
  };
}

export interface SneClientOptions {
  /** `DemandSystem.id` (default `sne`). */
  id?: string;
  /** Base URL of the service (scheme, host, port). */
  url: string;
  /** Registration desk code of this gateway (`G0123`): in file and certificate names. */
  guichet: string;
  /** Mutual TLS material (PEM buffers or strings, or file paths). */
  tls?: SneTlsOptions;
  timeoutMs: number;
  /** `versionInterface` of the files sent (`02.01`). */
  interfaceVersion: string;
  codec: InterfaceNuuCodec;
  anomalyTable: AnomalyTable;
  /** The PEM sent in the `certificat` part; default the TLS certificate, else `PLACEHOLDER_CERTIFICATE`. */
  certificate?: string | Buffer;
  /** `CER<guichet>-<YYYYMMDDHHMM>.pem`; default from the certificate's start of validity, else the clock. */
  certificateName?: string;
  /** Codes meaning "unknown numéro unique" on `getDemandeLogement` (default `CTRL_DEM_0020`). */
  notFoundCodes?: readonly string[];
  clock?: () => Date;
  logger?: Logger;
  /** Counter of file names (default `createClockFileCounter({ clock })`). */
  counter?: FileCounter;
  /** Zone of the wall-clock fields of names and dates (default `Europe/Paris`). */
  timeZone?: string;
  /**
   * Passed to the transport: an agent of the caller's, a response size limit, and for an SPTA speaking
   * the SNE protocol, its endpoint path and service namespace.
   */
  transportOptions?: Pick<SneTransportOptions, 'httpsAgent' | 'maxResponseBytes' | 'endpointPath' | 'serviceNamespace'>;
}

/** The SNE as a `DemandSystem`, with its transport (for its endpoint and certificate). */
export type SneClient = DemandSystem & {
  readonly transport: SneTransport;
  /** The certificate name sent with every request that carries one. */
  readonly nomCertificat: string;
};

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function requestInvalid(issues: Issue[]): ValidationError {
  return new ValidationError(SneErrorCode.requestInvalid, issues, { system: SNE_SYSTEM });
}

/** Problems of extra blocks (names, characters), by path; never values. */
function blockIssues(tree: ElementTree, path: string, out: Issue[]): void {
  if (typeof tree.name !== 'string' || !ELEMENT_NAME.test(tree.name)) {
    out.push({ path: `${path}.name`, rule: 'element-name', message: 'must be an XML element name without prefix' });
  }
  for (const [k, v] of Object.entries(tree.attributes ?? {})) {
    if (!ELEMENT_NAME.test(k)) out.push({ path: `${path}.attributes`, rule: 'attribute-name', message: 'an attribute name is not an XML name' });
    if (typeof v !== 'string' || !isXmlSafe(v)) out.push({ path: `${path}.attributes`, rule: 'chars', message: 'an attribute value holds characters XML forbids' });
  }
  if (tree.text !== undefined && (typeof tree.text !== 'string' || !isXmlSafe(tree.text))) {
    out.push({ path: `${path}.text`, rule: 'chars', message: 'text holds characters XML forbids' });
  }
  if (tree.text !== undefined && tree.children?.length) {
    out.push({ path, rule: 'mixed-content', message: 'an element has either a text or children, not both' });
  }
  (tree.children ?? []).forEach((c, i) => blockIssues(c, `${path}.children[${i}]`, out));
}

function renderBlock(tree: ElementTree, prefix: string, depth: number): string {
  const indent = '  '.repeat(depth);
  const q = `${prefix}${tree.name}`;
  const attrs = Object.entries(tree.attributes ?? {})
    .map(([k, v]) => ` ${k}="${escapeXmlAttribute(v)}"`)
    .join('');
  if (tree.children?.length) {
    return `${indent}<${q}${attrs}>\n${tree.children.map((c) => renderBlock(c, prefix, depth + 1)).join('')}${indent}</${q}>\n`;
  }
  if (tree.text !== undefined && tree.text !== '') return `${indent}<${q}${attrs}>${escapeXmlText(tree.text)}</${q}>\n`;
  return `${indent}<${q}${attrs}/>\n`;
}

/**
 * Writes extra blocks (events whose element names live in mapping tables) into a one-demand document
 * built by the codec, just before the closing tag of its `demandeLogement`, in the codec's layout (two
 * spaces per level, one element per line). Deterministic: same blocks, same bytes. The codec does not
 * write extra blocks itself yet; when it does, this moves there.
 */
export function insertBlocks(xml: string, blocks: readonly ElementTree[], demandeLogementQName = 'demandeLogement'): string {
  if (!blocks.length) return xml;
  const issues: Issue[] = [];
  blocks.forEach((b, i) => blockIssues(b, `blocks[${i}]`, issues));
  if (issues.length) throw requestInvalid(issues);
  const close = `</${demandeLogementQName}>`;
  const at = xml.lastIndexOf(close);
  if (at < 0) throw requestInvalid([{ path: 'blocks', rule: 'structure', message: 'the document has no demandeLogement to put blocks in' }]);
  const lineStart = xml.lastIndexOf('\n', at) + 1;
  const depth = Math.floor((at - lineStart) / 2) + 1;
  const colon = demandeLogementQName.indexOf(':');
  const prefix = colon < 0 ? '' : demandeLogementQName.slice(0, colon + 1);
  const rendered = blocks.map((b) => renderBlock(b, prefix, depth)).join('');
  return xml.slice(0, lineStart) + rendered + xml.slice(lineStart);
}

/** A document as a one-chunk source for the codec's splitter. */
async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

function localChildren(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

function descendants(el: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  const todo = [...el.children];
  while (todo.length) {
    const cur = todo.shift() as XmlElement;
    if (cur.local === local) out.push(cur);
    else todo.push(...cur.children);
  }
  return out;
}

/**
 * Reads a `listeDoublons` document. Its layout is [open]; read leniently: each `doublon` child (any
 * prefix) gives its `numUnique` (first such descendant) and its criteria, the `code` attribute (or the
 * text) of every `critere` descendant.
 */
export function parseListeDoublons(xml: string): Doublon[] {
  const root = parseXml(xml).root;
  const out: Doublon[] = [];
  for (const d of localChildren(root, 'doublon')) {
    const nu = descendants(d, 'numUnique')[0]?.text.trim();
    if (!nu) continue;
    const criteres = descendants(d, 'critere')
      .map((c) => (c.attributes.find((a) => a.local === 'code' && a.ns === '')?.value ?? c.text).trim())
      .filter((c) => c !== '');
    out.push({ numUnique: nu, criteres });
  }
  return out;
}

/** The certificate's start of validity, if the PEM is a readable certificate. */
function certificateDate(pem: Buffer): Date | undefined {
  try {
    const t = Date.parse(new X509Certificate(pem).validFrom);
    return Number.isFinite(t) ? new Date(t) : undefined;
  } catch {
    // A placeholder or a chain we cannot read: the name falls back to the clock.
    return undefined;
  }
}

/** Creates the SNE client. Throws `SNE_TRANSPORT_CONFIG` on a bad URL or unreadable TLS files. */
export function createSneClient(options: SneClientOptions): SneClient {
  const id = options.id ?? 'sne';
  const clock = options.clock ?? (() => new Date());
  const timeZone = options.timeZone ?? SNE_TIME_ZONE;
  const codec = options.codec;
  const table = options.anomalyTable;
  const notFound = new Set(options.notFoundCodes ?? DEFAULT_NOT_FOUND_CODES);
  const counter = options.counter ?? createClockFileCounter({ clock, timeZone });
  const logger = options.logger;
  const transport = createSneTransport({
    url: options.url,
    ...(options.tls ? { tls: options.tls } : {}),
    timeoutMs: options.timeoutMs,
    clock: () => clock().getTime(),
    ...(options.transportOptions ?? {}),
  });
  const certificat: Buffer =
    options.certificate !== undefined
      ? Buffer.isBuffer(options.certificate)
        ? options.certificate
        : Buffer.from(options.certificate, 'utf8')
      : (transport.clientCertificate ?? Buffer.from(PLACEHOLDER_CERTIFICATE, 'utf8'));
  const nomCertificat = options.certificateName ?? formatNomCertificat(options.guichet, certificateDate(certificat) ?? clock(), timeZone);
  const demandeLogementQ = codec.spec.structureQ.demandeLogement;

  async function call(operation: SneOperation, input: Parameters<SneTransport['call']>[0], meta: Record<string, unknown>): Promise<SneSuccess> {
    // Failures are the caller's to log (with their class): they are thrown, classified, unlogged here.
    const started = Date.now();
    const answer = await transport.call(input);
    logger?.debug('sne call', { system: id, operation, durationMs: Date.now() - started, ...meta });
    return answer;
  }

  function throwAnomalies(answer: SneSuccess, operation: SneOperation): void {
    if (answer.kind !== 'interfaceNuu') return;
    const error = classifyAnomalies(answer.anomalies, table, { operation });
    if (error) throw error;
  }

  function unexpected(operation: SneOperation, kind: string, ambiguous: boolean): Error {
    const message = `SNE ${operation}: the answer carries a ${kind} document where another was expected`;
    const opts = { system: SNE_SYSTEM, details: { operation, payload: kind } };
    return ambiguous ? new AmbiguousError(SneClientErrorCode.unexpectedPayload, message, opts) : new TransientError(SneClientErrorCode.unexpectedPayload, message, opts);
  }

  /** Every demand of an `interfaceNuu` answer, parsed demand by demand (no whole-document size limit). */
  async function demandesOf(xml: string): Promise<DemandeResult[]> {
    const out: DemandeResult[] = [];
    for await (const item of codec.stream(once(xml))) out.push(codec.parseFragment(item.xml, item));
    return out;
  }

  async function since(operation: 'getNouveauxDaloDepuisLe' | 'getDemandesRadieesDepuisLe', date: Date): Promise<DemandesDepuis> {
    const requestedAt = clock();
    const formatted = formatSneDateTime(date, timeZone);
    const input =
      operation === 'getNouveauxDaloDepuisLe'
        ? { operation, dateNouveauDaloDepuisLe: formatted, nomCertificat, certificat }
        : { operation, dateRadiationDepuisLe: formatted, nomCertificat, certificat };
    const answer = await call(operation, input, { since: formatted });
    if (answer.kind === 'empty') return { demandes: [], requestedAt };
    if (answer.kind !== 'interfaceNuu') throw unexpected(operation, answer.kind, false);
    throwAnomalies(answer, operation);
    return { demandes: await demandesOf(answer.xml), requestedAt };
  }

  function build(typeFichier: TypeFichier, demande: Demande, at: Date, blocks: readonly ElementTree[] = []): string {
    const xml = codec.build({
      versionInterface: options.interfaceVersion,
      entete: { typeFichier, dateFichier: formatSneDateTime(at, timeZone) },
      demandes: [demande],
    });
    return insertBlocks(xml, blocks, demandeLogementQ);
  }

  const client: SneClient = {
    id,
    transport,
    nomCertificat,

    async getDemande(numUnique: string): Promise<DemandeResult | null> {
      const operation = 'getDemandeLogement';
      const answer = await call(operation, { operation, numUnique, nomCertificat, certificat }, { numUnique });
      if (answer.kind === 'empty') return null;
      if (answer.kind !== 'interfaceNuu') throw unexpected(operation, answer.kind, false);
      if (answer.anomalies.length && answer.anomalies.every((a) => notFound.has(a.code))) return null;
      throwAnomalies(answer, operation);
      const demandes = await demandesOf(answer.xml);
      return demandes[0] ?? null;
    },

    radieesDepuis: (date: Date) => since('getDemandesRadieesDepuisLe', date),
    nouveauxDaloDepuis: (date: Date) => since('getNouveauxDaloDepuisLe', date),

    async doublons(demande: Demande): Promise<Doublon[]> {
      const operation = 'getDoublons';
      const at = clock();
      // A search is not a registration: the file is written as a creation would be, and never registered.
      const fichierDemande = build('CRE', demande, at);
      const nomFichierDemande = formatNomFichierDemande(options.guichet, at, await counter(at), timeZone);
      const answer = await call(operation, { operation, nomFichierDemande, fichierDemande }, { file: nomFichierDemande });
      if (answer.kind === 'empty') return [];
      if (answer.kind === 'interfaceNuu') {
        throwAnomalies(answer, operation);
        throw unexpected(operation, answer.kind, false);
      }
      return parseListeDoublons(answer.xml);
    },

    async submit(request: SubmitRequest): Promise<SubmitResult> {
      const operation = 'getNumUnique';
      const { typeFichier, demande } = request;
      const creation = typeFichier === 'CRE' || typeFichier === 'CRS';
      if (!creation && !demande.numUnique) {
        throw requestInvalid([{ path: 'demande.numUnique', rule: 'required', message: `numUnique is required for a ${typeFichier} file` }]);
      }
      const at = request.at ?? clock();
      const fichierDemande = build(typeFichier, demande, at, request.blocks);
      const nomFichierDemande = formatNomFichierDemande(options.guichet, at, await counter(at), timeZone);
      const meta = { typeFichier, file: nomFichierDemande, ...(demande.numUnique ? { numUnique: demande.numUnique } : {}) };
      const answer = await call(operation, { operation, nomFichierDemande, fichierDemande, nomCertificat, certificat }, meta);
      if (answer.kind === 'listeDoublons') throw unexpected(operation, answer.kind, true);
      if (answer.kind === 'interfaceNuu') throwAnomalies(answer, operation);
      const returned = answer.kind === 'interfaceNuu' ? (await demandesOf(answer.xml))[0] : undefined;
      const numUnique = (returned?.ok ? returned.demande.numUnique : returned?.numUnique) ?? demande.numUnique;
      if (!numUnique) {
        throw new AmbiguousError(SneClientErrorCode.noNumUnique, `SNE ${operation}: a ${typeFichier} was answered without a numéro unique; it may have been registered`, {
          system: SNE_SYSTEM,
          details: { operation, typeFichier, file: nomFichierDemande },
        });
      }
      return { numUnique, ...(returned?.ok ? { demande: returned.demande } : {}), anomalies: [] };
    },

    async close(): Promise<void> {
      transport.close();
    },
  };
  return client;
}

/** Collaborators of `sneClientFromConfig` that the configuration file does not hold. */
export type SneClientDeps = Pick<SneClientOptions, 'codec' | 'certificate' | 'certificateName' | 'notFoundCodes' | 'clock' | 'logger' | 'counter' | 'timeZone' | 'transportOptions' | 'id'> & {
  /** Default: `mappings/sne/anomalies.yaml` (loaded and validated now). */
  anomalyTable?: AnomalyTable;
};

/**
 * The client for the `sne` section of the configuration. The rate limit of that section is applied by
 * the queues (one limiter per target), not here.
 */
export function sneClientFromConfig(config: SneConfig, deps: SneClientDeps): SneClient {
  const tls = config.tls ? { cert: config.tls.cert, key: config.tls.key, ...(config.tls.ca ? { ca: config.tls.ca } : {}) } : undefined;
  return createSneClient({
    ...deps,
    url: config.url,
    guichet: config.guichet,
    ...(tls ? { tls } : {}),
    timeoutMs: config.timeoutMs,
    interfaceVersion: config.interfaceVersion,
    anomalyTable: deps.anomalyTable ?? loadAnomalyTable(defaultAnomalyTablePath),
  });
}
