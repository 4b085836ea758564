/**
 * SNE requests: building them byte-exact, and reading them back the way the real service would (the
 * simulator uses `parseSneRequest` to refuse what the service refuses).
 *
 * Layout (domain.md §3): an HTTP body `multipart/related; type="application/xop+xml"; start="<root id>";
 * start-info="application/soap+xml"; boundary=...; action="<service ns><operation>"`, CRLF line ends; a
 * root part `application/xop+xml; charset=UTF-8; type="application/soap+xml"` holding a SOAP 1.2 envelope
 * whose body element (service namespace) has unqualified children in a fixed order; each binary child
 * (`fichierDemande`, `certificat`) holds an `xop:Include` right after its opening tag, on the same line,
 * pointing at a MIME part of its own.
 */
import { createHash } from 'node:crypto';
import { ValidationError, type Issue } from '../../../errors';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  FICHIER_DEMANDE_CONTENT_TYPE,
  CERTIFICAT_CONTENT_TYPE,
  MIME_LAYOUT,
  OPERATION_SPECS,
  SNE_SERVICE_NS,
  SOAP11_NS,
  SOAP12_NS,
  XOP_NS,
  operationOfElement,
  soapAction,
  type ChildSpec,
  type SneOperation,
} from './constants';
import { SneErrorCode, SNE_SYSTEM, WireFormatError } from './errors';
import { buildMultipart, normaliseContentId, parseMediaType, parseMultipart, type MimePart } from './mime';
import { NOM_CERTIFICAT_PATTERN, NOM_FICHIER_DEMANDE_PATTERN, SNE_DATE_TIME_PATTERN, formatSneDateTime } from './naming';
import { attributeValue, escapeXmlAttribute, escapeXmlText, isXmlSafe, lineColumn, parseXml, type XmlElement } from './xml';

/** Text or bytes; text is sent as UTF-8. */
export type Bytes = string | Buffer;

interface WithFichier {
  /** `DEM<guichet>-<YYYYMMDDHHMM>-<nnnnnn>.xml` (see `nomFichierDemande()`). */
  nomFichierDemande: string;
  /** The demand document (`interfaceNuu`), carried as is in its own part. */
  fichierDemande: Bytes;
}
interface WithCertificat {
  /** `CER<guichet>-<YYYYMMDDHHMM>.pem` (see `nomCertificat()`). */
  nomCertificat: string;
  /** The certificate (PEM), carried as is in its own part. */
  certificat: Bytes;
}

/** What a request says, per operation. Dates given as `Date` are formatted with `formatSneDateTime`. */
export type SneRequestInput =
  | ({ operation: 'getNumUnique' } & WithFichier & WithCertificat)
  | ({ operation: 'getDemandeLogement'; numUnique: string } & WithCertificat)
  | ({ operation: 'getDoublons' } & WithFichier)
  | ({ operation: 'getNouveauxDaloDepuisLe'; dateNouveauDaloDepuisLe: string | Date } & WithCertificat)
  | ({ operation: 'getDemandesRadieesDepuisLe'; dateRadiationDepuisLe: string | Date } & WithCertificat);

/** The MIME boundary and Content-IDs (without angle brackets) of a message. */
export interface SneMessageIds {
  boundary: string;
  root: string;
  fichierDemande: string;
  certificat: string;
}

export interface BuildSneRequestOptions {
  /** Override some ids (e.g. to carry a job id); the others are derived from the content. */
  ids?: Partial<SneMessageIds>;
  /** Namespace of the operation elements and of the SOAP action (default the SNE's; an SPTA's own). */
  serviceNamespace?: string;
}

/** A request ready to POST: the HTTP headers it needs and its exact body. */
export interface SneRequest {
  operation: SneOperation;
  action: string;
  contentType: string;
  /** `Content-Type`, `MIME-Version`, `Content-Length`. */
  headers: Record<string, string>;
  body: Buffer;
  ids: SneMessageIds;
}

const BOUNDARY_PATTERN = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
const CONTENT_ID_PATTERN = /^[A-Za-z0-9._\-+=]{1,100}@[A-Za-z0-9._-]{1,100}$/;
const NUM_UNIQUE_PATTERN = /^[!-~]{1,18}$/;

const VALUE_RULES: Readonly<Record<string, { pattern: RegExp; message: string }>> = {
  nomFichierDemande: { pattern: NOM_FICHIER_DEMANDE_PATTERN, message: 'must read DEM<guichet>-<YYYYMMDDHHMM>-<6 digits>.xml' },
  nomCertificat: { pattern: NOM_CERTIFICAT_PATTERN, message: 'must read CER<guichet>-<YYYYMMDDHHMM>.pem' },
  numUnique: { pattern: NUM_UNIQUE_PATTERN, message: 'must be 1 to 18 printable characters without spaces' },
  dateNouveauDaloDepuisLe: { pattern: SNE_DATE_TIME_PATTERN, message: 'must be an ISO 8601 date-time with fraction and offset' },
  dateRadiationDepuisLe: { pattern: SNE_DATE_TIME_PATTERN, message: 'must be an ISO 8601 date-time with fraction and offset' },
};

function invalid(issues: Issue[]): ValidationError {
  return new ValidationError(SneErrorCode.requestInvalid, issues, { system: SNE_SYSTEM });
}

function field(input: SneRequestInput, name: string): unknown {
  return (input as unknown as Record<string, unknown>)[name];
}

function textValue(input: SneRequestInput, child: ChildSpec): string | undefined {
  const v = field(input, child.name);
  if (v instanceof Date) return formatSneDateTime(v);
  return typeof v === 'string' ? v : undefined;
}

function bytesValue(input: SneRequestInput, child: ChildSpec): Buffer | undefined {
  const v = field(input, child.name);
  if (Buffer.isBuffer(v)) return v;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : undefined;
}

/** Problems of the values of a request, by field: never the values themselves. */
function valueIssues(operation: SneOperation, texts: Record<string, string | undefined>, parts: Record<string, Buffer | undefined>, base: string): Issue[] {
  const issues: Issue[] = [];
  for (const child of OPERATION_SPECS[operation].children) {
    const path = `${base}/${child.name}`;
    if (child.kind === 'attachment') {
      const b = parts[child.name];
      if (!b || b.length === 0) issues.push({ path, rule: `${child.name}.required`, message: `${child.name} must not be empty` });
      continue;
    }
    const v = texts[child.name];
    if (v === undefined || v === '') {
      issues.push({ path, rule: `${child.name}.required`, message: `${child.name} is required` });
      continue;
    }
    const rule = VALUE_RULES[child.name];
    if (rule && !rule.pattern.test(v)) issues.push({ path, rule: `${child.name}.format`, message: `${child.name} ${rule.message}` });
    else if (!isXmlSafe(v)) issues.push({ path, rule: `${child.name}.chars`, message: `${child.name} holds characters XML forbids` });
  }
  return issues;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function deriveIds(seed: string, counter: number): SneMessageIds {
  const h = sha256(`${seed}#${counter}`);
  const d = MIME_LAYOUT.contentIdDomain;
  return {
    boundary: `MIMEBoundary_${h.slice(0, 32)}`,
    root: `root.${h.slice(32, 48)}@${d}`,
    fichierDemande: `fichierDemande.${h.slice(48, 64)}@${d}`,
    certificat: `certificat.${h.slice(48, 64)}@${d}`,
  };
}

function renderEnvelope(operation: SneOperation, texts: Record<string, string | undefined>, ids: SneMessageIds, serviceNs: string): string {
  const spec = OPERATION_SPECS[operation];
  const lines = [
    `<soap:Envelope xmlns:soap="${SOAP12_NS}" xmlns:ws="${escapeXmlAttribute(serviceNs)}">`,
    '  <soap:Header/>',
    '  <soap:Body>',
    `    <ws:${spec.element}>`,
  ];
  for (const child of spec.children) {
    if (child.kind === 'text') {
      lines.push(`      <${child.name}>${escapeXmlText(texts[child.name] ?? '')}</${child.name}>`);
    } else {
      const cid = child.name === 'certificat' ? ids.certificat : ids.fichierDemande;
      // The service wants the xop:Include glued to the opening tag, on the same line.
      lines.push(
        `      <${child.name} ws:contentType="${escapeXmlAttribute(child.contentType ?? '')}">` +
          `<xop:Include href="cid:${escapeXmlAttribute(encodeURI(cid))}" xmlns:xop="${XOP_NS}"/></${child.name}>`,
      );
    }
  }
  lines.push(`    </ws:${spec.element}>`, '  </soap:Body>', '</soap:Envelope>');
  return lines.join('\r\n');
}

/**
 * Builds the exact request of an operation. Deterministic: the boundary and Content-IDs derive from a
 * hash of the content (plus a counter, bumped if the boundary happened to occur in a part), unless given.
 * Throws `ValidationError` `SNE_REQUEST_INVALID` (paths and rules, never values) on a bad input.
 */
export function buildSneRequest(input: SneRequestInput, options: BuildSneRequestOptions = {}): SneRequest {
  const operation = input.operation;
  const spec = OPERATION_SPECS[operation];
  if (!spec) throw invalid([{ path: 'operation', rule: 'operation.known', message: 'unknown SNE operation' }]);
  const serviceNs = options.serviceNamespace ?? SNE_SERVICE_NS;
  const texts: Record<string, string | undefined> = {};
  const parts: Record<string, Buffer | undefined> = {};
  for (const child of spec.children) {
    if (child.kind === 'text') texts[child.name] = textValue(input, child);
    else parts[child.name] = bytesValue(input, child);
  }
  const issues = valueIssues(operation, texts, parts, spec.element);
  const given = options.ids ?? {};
  if (given.boundary !== undefined && !BOUNDARY_PATTERN.test(given.boundary)) {
    issues.push({ path: 'ids.boundary', rule: 'boundary.format', message: 'boundary must be 1 to 70 MIME boundary characters, no space' });
  }
  for (const k of ['root', 'fichierDemande', 'certificat'] as const) {
    const v = given[k];
    if (v !== undefined && !CONTENT_ID_PATTERN.test(v)) {
      issues.push({ path: `ids.${k}`, rule: 'contentId.format', message: 'a Content-ID must read local@domain with letters, digits and ._-+=' });
    }
  }
  if (issues.length) throw invalid(issues);

  const seed = sha256(
    JSON.stringify([
      operation,
      ...spec.children.map((c) => (c.kind === 'text' ? (texts[c.name] ?? '') : sha256(parts[c.name] ?? Buffer.alloc(0)))),
    ]),
  );
  for (let counter = 0; counter < 16; counter++) {
    const ids: SneMessageIds = { ...deriveIds(seed, counter), ...given };
    const envelope = Buffer.from(renderEnvelope(operation, texts, ids, serviceNs), 'utf8');
    const mimeParts: Array<{ headers: Array<[string, string]>; body: Buffer }> = [
      {
        headers: [
          ['Content-Type', MIME_LAYOUT.rootContentType],
          ['Content-Transfer-Encoding', MIME_LAYOUT.rootTransferEncoding],
          ['Content-ID', `<${ids.root}>`],
        ],
        body: envelope,
      },
    ];
    for (const child of spec.children) {
      if (child.kind !== 'attachment') continue;
      const isCert = child.name === 'certificat';
      mimeParts.push({
        headers: [
          ['Content-Type', isCert ? MIME_LAYOUT.certificatContentType : MIME_LAYOUT.fichierDemandeContentType],
          ['Content-Transfer-Encoding', MIME_LAYOUT.attachmentTransferEncoding],
          ['Content-ID', `<${isCert ? ids.certificat : ids.fichierDemande}>`],
        ],
        body: parts[child.name] ?? Buffer.alloc(0),
      });
    }
    const marker = `--${ids.boundary}`;
    if (mimeParts.some((p) => p.body.includes(marker))) {
      if (given.boundary !== undefined) {
        throw invalid([{ path: 'ids.boundary', rule: 'boundary.collision', message: 'the given boundary occurs inside a part' }]);
      }
      continue;
    }
    const body = buildMultipart(ids.boundary, mimeParts);
    const action = soapAction(operation, serviceNs);
    const contentType =
      `multipart/related; type="application/xop+xml"; start="<${ids.root}>"; ` +
      `start-info="application/soap+xml"; boundary="${ids.boundary}"; action="${action}"`;
    return {
      operation,
      action,
      contentType,
      headers: { 'Content-Type': contentType, 'MIME-Version': '1.0', 'Content-Length': String(body.length) },
      body,
      ids,
    };
  }
  // Sixteen hash-derived boundaries all occurring in the content cannot happen by chance.
  throw invalid([{ path: 'ids.boundary', rule: 'boundary.collision', message: 'no boundary could be derived that does not occur in a part' }]);
}

// ---------------------------------------------------------------------------------------------------
// Reading a request back (simulator side).

/** An attachment as found in a request. */
export interface SneAttachment {
  contentId: string;
  /** The part's Content-Type header as written. */
  contentType: string;
  data: Buffer;
}

export interface ParsedSneRequest {
  operation: SneOperation;
  action: string;
  /** The request's content, in the shape `buildSneRequest` takes (attachments as Buffers, dates as text). */
  input: SneRequestInput;
  ids: Partial<SneMessageIds> & Pick<SneMessageIds, 'boundary' | 'root'>;
  attachments: { fichierDemande?: SneAttachment; certificat?: SneAttachment };
}

export interface ParseSneRequestOptions {
  /** Largest body accepted (default 20 MiB). */
  maxBytes?: number;
  /** Check value formats (names, dates, numUnique) as well as the structure (default true). */
  checkValues?: boolean;
  /** The only namespace accepted for the operation elements and the action (default the SNE's). */
  serviceNamespace?: string;
}

class RequestProblem extends Error {
  constructor(
    readonly path: string,
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

function problem(path: string, rule: string, message: string): never {
  throw new RequestProblem(path, rule, message);
}

function at(source: string, offset: number): string {
  const { line, column } = lineColumn(source, offset);
  return `line ${line}, column ${column}`;
}

function decodeUtf8(buf: Buffer, path: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return problem(path, 'encoding.utf8', 'the part is not valid UTF-8');
  }
}

function checkAttachment(
  el: XmlElement,
  child: ChildSpec,
  path: string,
  source: string,
  parts: MimePart[],
  serviceNs: string,
): { include: XmlElement; part: MimePart; contentId: string } {
  const ct = attributeValue(el, serviceNs, 'contentType');
  if (ct !== child.contentType) {
    problem(path, 'attachment.contentType', `${child.name} must carry contentType="${child.contentType}" in the service namespace`);
  }
  const include = el.children[0];
  if (!include || include.ns !== XOP_NS || include.local !== 'Include') {
    problem(path, 'xop.missing', `${child.name} must hold an xop:Include (namespace ${XOP_NS})`);
  }
  if (el.children.length > 1) problem(path, 'xop.single', `${child.name} must hold only its xop:Include`);
  if (include.start !== el.openEnd) {
    problem(path, 'xop.placement', `the xop:Include of ${child.name} must directly follow its opening tag, on the same line (${at(source, el.openEnd)})`);
  }
  if (el.text.trim() !== '') problem(path, 'xop.content', `${child.name} must hold nothing but its xop:Include`);
  if (include.children.length || include.text.trim() !== '') problem(path, 'xop.empty', 'xop:Include must be empty');
  const href = attributeValue(include, '', 'href') ?? '';
  if (!/^cid:/i.test(href)) problem(path, 'xop.href', `the xop:Include of ${child.name} must have href="cid:..."`);
  let contentId: string;
  try {
    contentId = decodeURIComponent(href.slice(4));
  } catch {
    return problem(path, 'xop.href', `the href of the xop:Include of ${child.name} is not a valid cid: URL`);
  }
  const part = parts.find((p) => p.contentId === contentId);
  if (!part) problem(path, 'xop.unresolved', `the xop:Include of ${child.name} points at no MIME part`);
  const media = parseMediaType(part.contentType ?? '', `Content-Type of part ${part.index}`);
  const accepted = child.name === 'certificat' ? [CERTIFICAT_CONTENT_TYPE, 'application/octet-stream'] : [FICHIER_DEMANDE_CONTENT_TYPE];
  if (!accepted.includes(media.type)) {
    problem(`part ${part.index}`, 'part.contentType', `the part of ${child.name} must be ${accepted.join(' or ')}`);
  }
  return { include, part, contentId };
}

function parseRequestOrThrow(contentType: string | undefined, body: Buffer, options: ParseSneRequestOptions): ParsedSneRequest {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const serviceNs = options.serviceNamespace ?? SNE_SERVICE_NS;
  if (body.length > maxBytes) problem('body', 'request.size', `the body exceeds ${maxBytes} bytes`);
  if (!contentType) problem('Content-Type', 'contentType.missing', 'the Content-Type header is missing');
  const media = parseMediaType(contentType);
  const ctPath = 'Content-Type';
  if (media.type !== 'multipart/related') problem(ctPath, 'contentType.type', 'the request must be multipart/related (XOP/MTOM)');
  const p = media.params;
  if ((p.type ?? '').toLowerCase() !== 'application/xop+xml') problem(ctPath, 'contentType.typeParam', 'the type parameter must be "application/xop+xml"');
  if (!p.start) problem(ctPath, 'contentType.start', 'the start parameter (Content-ID of the root part) is missing');
  if ((p['start-info'] ?? '').toLowerCase() !== 'application/soap+xml') {
    problem(ctPath, 'contentType.startInfo', 'the start-info parameter must be "application/soap+xml"');
  }
  if (!p.boundary) problem(ctPath, 'contentType.boundary', 'the boundary parameter is missing');
  if (!p.action) problem(ctPath, 'contentType.action', 'the action parameter is missing');

  const parts = parseMultipart(body, p.boundary, { strict: true });
  const rootId = normaliseContentId(p.start);
  const root = parts.find((x) => x.contentId === rootId);
  if (!root) problem('root part', 'root.missing', 'no part has the Content-ID named by the start parameter');
  const rootMedia = parseMediaType(root.contentType ?? '', 'Content-Type of the root part');
  if (rootMedia.type !== 'application/xop+xml') problem('root part', 'root.type', 'the root part must be application/xop+xml');
  if ((rootMedia.params.charset ?? '').toLowerCase() !== 'utf-8') problem('root part', 'root.charset', 'the root part must declare charset=UTF-8');
  if ((rootMedia.params.type ?? '').toLowerCase() !== 'application/soap+xml') {
    problem('root part', 'root.typeParam', 'the root part must declare type="application/soap+xml"');
  }

  const source = decodeUtf8(root.body, 'root part');
  let doc;
  try {
    doc = parseXml(source);
  } catch (e) {
    if (e instanceof WireFormatError) problem('Envelope', `xml.${e.rule}`, e.message);
    throw e;
  }
  const env = doc.root;
  if (env.local !== 'Envelope' || env.ns !== SOAP12_NS) {
    problem('Envelope', 'envelope.namespace', env.ns === SOAP11_NS ? 'a SOAP 1.1 envelope: SOAP 1.2 is required' : `the root element must be Envelope in ${SOAP12_NS}`);
  }
  const envChildren = env.children;
  const hasHeader = envChildren[0]?.local === 'Header' && envChildren[0].ns === SOAP12_NS;
  const bodyEl = envChildren[hasHeader ? 1 : 0];
  if (!bodyEl || bodyEl.local !== 'Body' || bodyEl.ns !== SOAP12_NS || envChildren.length !== (hasHeader ? 2 : 1)) {
    problem('Envelope', 'envelope.structure', 'the envelope must hold an optional Header then a Body, nothing else');
  }
  if (env.text.trim() !== '') problem('Envelope', 'envelope.text', 'text directly inside the Envelope');
  if (bodyEl.children.length !== 1) problem('Envelope/Body', 'body.element', 'the Body must hold exactly one element');
  if (bodyEl.text.trim() !== '') problem('Envelope/Body', 'body.text', 'text directly inside the Body');
  const opEl = bodyEl.children[0] as XmlElement;
  const opPath = `Envelope/Body/${opEl.local}`;
  if (opEl.ns !== serviceNs) problem(opPath, 'operation.namespace', `the operation element must be in ${serviceNs}`);
  const operation = operationOfElement(opEl.local);
  if (!operation) problem(opPath, 'operation.unknown', 'the Body holds no known operation element');
  const action = soapAction(operation, serviceNs);
  if (p.action !== action) problem(ctPath, 'contentType.action', `the action parameter must be "${action}" for a ${opEl.local} body`);
  if (opEl.text.trim() !== '') problem(opPath, 'children.text', `text directly inside ${opEl.local}`);

  const spec = OPERATION_SPECS[operation];
  const texts: Record<string, string | undefined> = {};
  const attachments: ParsedSneRequest['attachments'] = {};
  const ids: ParsedSneRequest['ids'] = { boundary: p.boundary, root: rootId };
  spec.children.forEach((childSpec, k) => {
    const el = opEl.children[k];
    const path = `${opPath}/${childSpec.name}`;
    if (!el) problem(path, 'children.missing', `${childSpec.name} is missing (expected order: ${spec.children.map((c) => c.name).join(', ')})`);
    if (el.local !== childSpec.name) {
      const known = spec.children.some((c) => c.name === el.local);
      problem(
        `${opPath}/${el.local}`,
        known ? 'children.order' : 'children.unexpected',
        known
          ? `children out of order: expected ${childSpec.name} at position ${k + 1} (order: ${spec.children.map((c) => c.name).join(', ')})`
          : `unexpected element ${el.local} where ${childSpec.name} is expected`,
      );
    }
    if (el.ns !== '') problem(path, 'children.qualified', `${childSpec.name} must be unqualified (no namespace)`);
    if (childSpec.kind === 'text') {
      if (el.children.length) problem(path, 'child.content', `${childSpec.name} must hold text only`);
      texts[childSpec.name] = el.text.trim();
      return;
    }
    const { part, contentId } = checkAttachment(el, childSpec, path, source, parts, serviceNs);
    const slot = childSpec.name === 'certificat' ? 'certificat' : 'fichierDemande';
    attachments[slot] = { contentId, contentType: part.contentType ?? '', data: part.body };
    ids[slot] = contentId;
  });
  if (opEl.children.length > spec.children.length) {
    const extra = opEl.children[spec.children.length] as XmlElement;
    problem(`${opPath}/${extra.local}`, 'children.unexpected', `unexpected element ${extra.local} after ${spec.children[spec.children.length - 1]?.name}`);
  }

  const partData: Record<string, Buffer | undefined> = {
    fichierDemande: attachments.fichierDemande?.data,
    certificat: attachments.certificat?.data,
  };
  if (options.checkValues ?? true) {
    const issues = valueIssues(operation, texts, partData, opPath);
    if (issues.length) throw invalid(issues);
  }
  const input = { operation } as Record<string, unknown>;
  for (const c of spec.children) input[c.name] = c.kind === 'text' ? texts[c.name] : partData[c.name];
  return { operation, action, input: input as unknown as SneRequestInput, ids, attachments };
}

/**
 * Reads a request the way the service would: Content-Type parameters, root part, SOAP 1.2 namespace,
 * operation element, children names/namespaces/order, `xop:Include` placement and resolution, and (by
 * default) value formats. Throws `ValidationError` `SNE_REQUEST_INVALID` whose issue says what is wrong
 * and where (a path and a rule), never quoting content.
 */
export function parseSneRequest(contentType: string | undefined, body: Buffer, options: ParseSneRequestOptions = {}): ParsedSneRequest {
  try {
    return parseRequestOrThrow(contentType, body, options);
  } catch (e) {
    if (e instanceof RequestProblem) throw invalid([{ path: e.path, rule: e.rule, message: e.message }]);
    if (e instanceof WireFormatError) throw invalid([{ path: e.path || 'body', rule: e.rule, message: e.message }]);
    throw e;
  }
}
