/**
 * SNE responses: reading them (MTOM `multipart/related` or plain SOAP 1.2), and building them for the
 * simulator.
 *
 * The body of a successful answer carries an `interfaceNuu` document (any namespace prefix) or a
 * `listeDoublons` document [sure as observed], either inline in the SOAP body, in a MIME part referenced
 * by an `xop:Include`, or (tolerated) as escaped or base64 text of a leaf element. The wrapper elements
 * around it (`<operation>Response/return`) are [likely]: the reader does not depend on them.
 */
import { createHash } from 'node:crypto';
import type { GatewayError } from '../../../errors';
import { anomaliesOf, type SneAnomaly } from './anomalies';
import { classifySneFailure, tidyReason, type SoapFault } from './classify';
import { DEFAULT_MAX_RESPONSE_BYTES, MIME_LAYOUT, SNE_SERVICE_NS, SOAP11_NS, SOAP12_NS, XML_CONTENT_TYPES, XOP_NS, type SneOperation } from './constants';
import { WireFormatError } from './errors';
import { buildMultipart, normaliseContentId, parseMediaType, parseMultipart, type MimePart } from './mime';
import { attributeValue, childElement, escapeXmlAttribute, escapeXmlText, findFirst, parseXml, standaloneSource, XML_NS, type XmlDocument, type XmlElement } from './xml';

export type SnePackaging = 'mtom' | 'soap';

/** The document a successful answer carries. */
export type SnePayload =
  /** A demand document: its XML text (standalone, for the codec) and the anomalies it lists. */
  | { kind: 'interfaceNuu'; xml: string; anomalies: SneAnomaly[] }
  /** The answer of `getDoublons`: its XML text. */
  | { kind: 'listeDoublons'; xml: string }
  /** An answer element with nothing in it (e.g. nothing radiated since the given date). */
  | { kind: 'empty' };

export type SneSuccess = SnePayload & { packaging: SnePackaging };

export type ParsedSneResponse = SneSuccess | { kind: 'fault'; fault: SoapFault; packaging: SnePackaging };

export interface ParseSneResponseOptions {
  /** The operation called: decides whether an unreadable answer is transient (read) or ambiguous (write). */
  operation: SneOperation;
  /** Largest body accepted (default 64 MiB). */
  maxBytes?: number;
}

const PAYLOAD_NAMES = ['interfaceNuu', 'listeDoublons'] as const;
type PayloadName = (typeof PAYLOAD_NAMES)[number];

function malformed(rule: string, message: string): never {
  throw new WireFormatError(rule, message);
}

function decodeText(buf: Buffer, charset: string | undefined, what: string): string {
  const cs = (charset ?? 'utf-8').toLowerCase();
  let label: string;
  if (cs === 'utf-8' || cs === 'utf8') label = 'utf-8';
  else if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'iso-8859-15') label = cs === 'iso-8859-15' ? 'iso-8859-15' : 'latin1';
  else return malformed('charset.unsupported', `${what} uses an unsupported charset`);
  try {
    const text = new TextDecoder(label, { fatal: true }).decode(buf);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return malformed('charset.invalid', `${what} is not valid ${label}`);
  }
}

function parseDoc(text: string, what: string): XmlDocument {
  try {
    return parseXml(text);
  } catch (e) {
    if (e instanceof WireFormatError) throw new WireFormatError(`xml.${e.rule}`, `${what}: ${e.message}`);
    throw e;
  }
}

function readFault(fault: XmlElement): SoapFault {
  const ns = fault.ns;
  const localOf = (qname: string): string => qname.slice(qname.indexOf(':') + 1);
  if (ns === SOAP11_NS) {
    const code = fault.children.find((c) => c.local === 'faultcode')?.text.trim() ?? '';
    const reason = fault.children.find((c) => c.local === 'faultstring')?.text ?? '';
    const detail = fault.children.find((c) => c.local === 'detail');
    return {
      soapVersion: '1.1',
      code: localOf(code) || 'unknown',
      reason: tidyReason(reason),
      detailElements: detail ? detail.children.map((c) => c.local) : [],
    };
  }
  const codeEl = childElement(fault, ns, 'Code');
  const value = codeEl ? childElement(codeEl, ns, 'Value')?.text.trim() : undefined;
  const subEl = codeEl ? childElement(codeEl, ns, 'Subcode') : undefined;
  const subValue = subEl ? childElement(subEl, ns, 'Value')?.text.trim() : undefined;
  const reasonEl = childElement(fault, ns, 'Reason');
  const texts = reasonEl ? reasonEl.children.filter((c) => c.ns === ns && c.local === 'Text') : [];
  const french = texts.find((t) => (attributeValue(t, XML_NS, 'lang') ?? '').toLowerCase().startsWith('fr'));
  const detail = childElement(fault, ns, 'Detail');
  return {
    soapVersion: '1.2',
    code: value ? localOf(value) : 'unknown',
    ...(subValue ? { subcode: subValue.slice(0, 100) } : {}),
    reason: tidyReason((french ?? texts[0])?.text ?? ''),
    detailElements: detail ? detail.children.map((c) => c.local) : [],
  };
}

function payloadFromDoc(doc: XmlDocument, el: XmlElement, xml: string): SnePayload {
  return el.local === 'interfaceNuu' ? { kind: 'interfaceNuu', xml, anomalies: anomaliesOf(el) } : { kind: 'listeDoublons', xml };
}

function isPayloadName(local: string): local is PayloadName {
  return (PAYLOAD_NAMES as readonly string[]).includes(local);
}

/** A standalone document found in a text (escaped inline XML, base64, or a MIME part), if it is a payload. */
function payloadFromText(text: string, what: string): SnePayload | undefined {
  const doc = parseDoc(text, what);
  if (!isPayloadName(doc.root.local)) return undefined;
  // The part's own text is the document: keep it byte for byte (declaration included).
  return payloadFromDoc(doc, doc.root, text);
}

/** A leaf's text read as a document (escaped XML, or base64 of XML); `undefined` when it is not one. */
function payloadFromLeaf(leaf: XmlElement): SnePayload | undefined {
  const t = leaf.text.trim();
  try {
    if (t.startsWith('<')) return payloadFromText(t, `text of ${leaf.local}`);
    // An identifier such as a numUnique also looks like base64: only a decoded "<" makes it a candidate.
    if (t.length >= 16 && /^[A-Za-z0-9+/\s]+={0,2}$/.test(t)) {
      const text = decodeText(Buffer.from(t.replace(/\s+/g, ''), 'base64'), undefined, `base64 text of ${leaf.local}`);
      if (text.trimStart().startsWith('<')) return payloadFromText(text, `base64 text of ${leaf.local}`);
    }
  } catch (e) {
    // Text that merely looks like a document is not one: keep looking.
    if (!(e instanceof WireFormatError)) throw e;
  }
  return undefined;
}

function allElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const todo = [el];
  while (todo.length) {
    const cur = todo.pop() as XmlElement;
    out.push(cur);
    for (let k = cur.children.length - 1; k >= 0; k--) todo.push(cur.children[k] as XmlElement);
  }
  return out;
}

function findPayload(doc: XmlDocument, body: XmlElement, parts: MimePart[] | undefined): SnePayload {
  const inline = findFirst(body, PAYLOAD_NAMES);
  if (inline) return payloadFromDoc(doc, inline, standaloneSource(doc, inline));

  const elements = allElements(body);
  for (const inc of elements.filter((e) => e.ns === XOP_NS && e.local === 'Include')) {
    const href = attributeValue(inc, '', 'href') ?? '';
    if (!/^cid:/i.test(href)) malformed('xop.href', 'an xop:Include without a cid: href');
    if (!parts) malformed('xop.noParts', 'an xop:Include in a plain SOAP answer (no MIME parts)');
    let id: string;
    try {
      id = decodeURIComponent(href.slice(4));
    } catch {
      return malformed('xop.href', 'an xop:Include with an invalid cid: URL');
    }
    const part = parts.find((p) => p.contentId === id);
    if (!part) malformed('xop.unresolved', 'an xop:Include points at no MIME part');
    const media = part.contentType ? parseMediaType(part.contentType, `Content-Type of part ${part.index}`) : undefined;
    const found = payloadFromText(decodeText(part.body, media?.params.charset, `part ${part.index}`), `part ${part.index}`);
    if (found) return found;
  }

  // Tolerated: the document as escaped text or base64 content of a leaf element.
  const leaves = elements.filter((e) => e !== body && e.children.length === 0 && e.text.trim() !== '');
  for (const leaf of leaves) {
    const found = payloadFromLeaf(leaf);
    if (found) return found;
  }
  if (body.children.length === 1 && !leaves.length) return { kind: 'empty' };
  return malformed('payload.missing', 'the SOAP body holds neither interfaceNuu nor listeDoublons nor a fault');
}

function readResponse(contentType: string | undefined, body: Buffer, maxBytes: number): ParsedSneResponse {
  if (body.length > maxBytes) malformed('response.size', `the answer exceeds ${maxBytes} bytes`);
  if (!contentType) malformed('contentType.missing', 'the answer has no Content-Type');
  const media = parseMediaType(contentType, 'Content-Type of the answer');
  let envelopeText: string;
  let parts: MimePart[] | undefined;
  let packaging: SnePackaging;
  if (media.type === 'multipart/related') {
    packaging = 'mtom';
    const boundary = media.params.boundary;
    if (!boundary) malformed('contentType.boundary', 'a multipart answer without boundary');
    parts = parseMultipart(body, boundary);
    const start = media.params.start;
    const root = start ? parts.find((p) => p.contentId === normaliseContentId(start)) : parts[0];
    if (!root) malformed('root.missing', 'no part has the Content-ID named by the start parameter');
    const rootMedia = parseMediaType(root.contentType ?? '', 'Content-Type of the root part');
    if (!['application/xop+xml', ...XML_CONTENT_TYPES].includes(rootMedia.type)) {
      malformed('root.type', 'the root part is not XML');
    }
    envelopeText = decodeText(root.body, rootMedia.params.charset, 'the root part');
  } else if ((XML_CONTENT_TYPES as readonly string[]).includes(media.type)) {
    packaging = 'soap';
    envelopeText = decodeText(body, media.params.charset, 'the answer');
  } else {
    return malformed('contentType.type', 'the answer is neither SOAP nor multipart/related');
  }
  if (!envelopeText.trim()) malformed('envelope.empty', 'the answer is empty');
  const doc = parseDoc(envelopeText, 'SOAP envelope');
  const env = doc.root;
  if (env.local !== 'Envelope' || (env.ns !== SOAP12_NS && env.ns !== SOAP11_NS)) {
    malformed('envelope.missing', 'the answer is not a SOAP envelope');
  }
  const bodyEl = childElement(env, env.ns, 'Body');
  if (!bodyEl) malformed('envelope.body', 'the SOAP envelope has no Body');
  const fault = childElement(bodyEl, env.ns, 'Fault');
  if (fault) return { kind: 'fault', fault: readFault(fault), packaging };
  if (!bodyEl.children.length) malformed('body.empty', 'the SOAP body is empty');
  return { ...findPayload(doc, bodyEl, parts), packaging };
}

/**
 * Reads an answer of the service. A SOAP fault is returned as `{ kind: 'fault' }` (see `faultToError`);
 * a truncated or unreadable answer throws `SNE_MALFORMED_RESPONSE`, transient for a read and ambiguous
 * for a write (the write may have been registered).
 */
export function parseSneResponse(contentType: string | undefined, body: Buffer, options: ParseSneResponseOptions): ParsedSneResponse {
  try {
    return readResponse(contentType, body, options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  } catch (e) {
    if (e instanceof WireFormatError) throw malformedError(e, options.operation);
    throw e;
  }
}

function malformedError(e: WireFormatError, operation: SneOperation): GatewayError {
  return classifySneFailure({ kind: 'malformed', rule: e.rule, message: e.message }, { operation });
}

/**
 * Reads a SOAP fault out of a non-2xx answer, if it holds one; `undefined` for anything else (an HTML
 * error page, an empty body...). Never throws.
 */
export function readFaultIfAny(contentType: string | undefined, body: Buffer, maxBytes = DEFAULT_MAX_RESPONSE_BYTES): SoapFault | undefined {
  try {
    const r = readResponse(contentType, body, maxBytes);
    return r.kind === 'fault' ? r.fault : undefined;
  } catch {
    // Not a readable SOAP answer: the HTTP status alone will classify it.
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Building answers (simulator side).

export interface BuildSneResponseInput {
  operation: SneOperation;
  /** The document to return (`interfaceNuu` or `listeDoublons`); absent for an empty answer. */
  payload?: string | Buffer;
  /** Default `mtom`. */
  packaging?: SnePackaging;
  /** MTOM only: put the document in its own part behind an `xop:Include` instead of inline. */
  payloadAsAttachment?: boolean;
  /** Namespace of the answer element (default the SNE's; an SPTA's own). */
  serviceNamespace?: string;
}

export interface BuiltSneResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

function stripDeclaration(xml: string): string {
  return xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>\s*/, '');
}

function responseIds(seed: string): { boundary: string; root: string; payload: string } {
  const h = createHash('sha256').update(seed).digest('hex');
  const d = MIME_LAYOUT.contentIdDomain;
  return { boundary: `MIMEBoundary_${h.slice(0, 32)}`, root: `root.${h.slice(32, 48)}@${d}`, payload: `payload.${h.slice(48, 64)}@${d}` };
}

function envelope(inner: string): string {
  return `<soap:Envelope xmlns:soap="${SOAP12_NS}"><soap:Body>${inner}</soap:Body></soap:Envelope>`;
}

function packageEnvelope(env: string, packaging: SnePackaging, status: number, attachment?: { id: string; body: Buffer }, seed = env): BuiltSneResponse {
  const envBuf: Buffer = Buffer.from(env, 'utf8');
  if (packaging === 'soap') return { status, contentType: 'application/soap+xml; charset=UTF-8', body: envBuf };
  const ids = responseIds(seed);
  const parts: Array<{ headers: Array<[string, string]>; body: Buffer }> = [
    {
      headers: [
        ['Content-Type', MIME_LAYOUT.rootContentType],
        ['Content-Transfer-Encoding', 'binary'],
        ['Content-ID', `<${ids.root}>`],
      ],
      body: envBuf,
    },
  ];
  if (attachment) {
    parts.push({
      headers: [
        ['Content-Type', MIME_LAYOUT.fichierDemandeContentType],
        ['Content-Transfer-Encoding', 'binary'],
        ['Content-ID', `<${attachment.id}>`],
      ],
      body: attachment.body,
    });
  }
  return {
    status,
    contentType: `multipart/related; type="application/xop+xml"; boundary="${ids.boundary}"; start="<${ids.root}>"; start-info="application/soap+xml"`,
    body: buildMultipart(ids.boundary, parts),
  };
}

/** A successful answer of `operation` carrying `payload` (simulator side). */
export function buildSneResponse(input: BuildSneResponseInput): BuiltSneResponse {
  const packaging = input.packaging ?? 'mtom';
  const ns = escapeXmlAttribute(input.serviceNamespace ?? SNE_SERVICE_NS);
  const el = `ns2:${input.operation}Response`;
  const open = `<${el} xmlns:ns2="${ns}">`;
  if (input.payload === undefined) return packageEnvelope(envelope(`<${el} xmlns:ns2="${ns}"/>`), packaging, 200);
  const bytes = Buffer.isBuffer(input.payload) ? input.payload : Buffer.from(input.payload, 'utf8');
  if (packaging === 'mtom' && input.payloadAsAttachment) {
    const id = responseIds(createHash('sha256').update(bytes).digest('hex')).payload;
    const inner = `${open}<return ns2:contentType="text/xml"><xop:Include href="cid:${escapeXmlAttribute(id)}" xmlns:xop="${XOP_NS}"/></return></${el}>`;
    return packageEnvelope(envelope(inner), packaging, 200, { id, body: bytes }, `${inner}${bytes.length}`);
  }
  const inner = `${open}<return>${stripDeclaration(bytes.toString('utf8'))}</return></${el}>`;
  return packageEnvelope(envelope(inner), packaging, 200);
}

export interface BuildSneFaultInput {
  /** SOAP 1.2 fault code: `Sender` (the request is wrong) or `Receiver` (the service failed). */
  code: 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch' | 'DataEncodingUnknown';
  /** A subcode local name, put in the service namespace. */
  subcode?: string;
  reason: string;
  packaging?: SnePackaging;
  /** Namespace of the subcode (default the SNE's service namespace). */
  serviceNamespace?: string;
}

/** A SOAP 1.2 fault answer (HTTP 400 for `Sender`, 500 otherwise, per the SOAP 1.2 HTTP binding). */
export function buildSneFaultResponse(input: BuildSneFaultInput): BuiltSneResponse {
  const sub = input.subcode
    ? `<soap:Subcode><soap:Value xmlns:sne="${escapeXmlAttribute(input.serviceNamespace ?? SNE_SERVICE_NS)}">sne:${escapeXmlText(input.subcode)}</soap:Value></soap:Subcode>`
    : '';
  const inner =
    `<soap:Fault><soap:Code><soap:Value>soap:${input.code}</soap:Value>${sub}</soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="fr">${escapeXmlText(input.reason)}</soap:Text></soap:Reason></soap:Fault>`;
  return packageEnvelope(envelope(inner), input.packaging ?? 'soap', input.code === 'Sender' ? 400 : 500);
}
