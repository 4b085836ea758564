/**
 * Hostile input to the parsers (design.md §3.5, §3.6): the `interfaceNuu` codec (whole documents and
 * streams), the SNE wire layer (SOAP/MTOM requests as the simulator reads them, answers as the client
 * reads them) and the configuration. Each case must end in a clear refusal (a stable code, and issues
 * with a path and a rule), or in an accepted document whose bad parts are quarantined; never in a crash,
 * a hang, an unbounded allocation or an error message quoting the input.
 *
 * Every hostile payload carries a canary string: an error message that contains it quotes the input.
 * The cases are plain functions, shared by the suite (`npm run reliability`, which also measures
 * memory) and by `test/reliability/hostile.test.ts` (which runs the small ones in `npm test`).
 */
import { CodecError, CodecErrorCode, createInterfaceNuuCodec, loadElementTable, type InterfaceNuuCodec, type ParsedInterfaceNuu } from '../../src/codec';
import { checkConfigText } from '../../src/config';
import { isGatewayError, ValidationError, type Issue } from '../../src/errors';
import { generateDemandes, personalValuesOf } from '../../src/synthetic';
import { buildSneRequest, buildSneResponse, parseSneRequest, parseSneResponse } from '../../src/systems/sne/wire';

/** Embedded in hostile payloads: an error message containing it quotes the input. */
export const CANARY = 'CANARYx7f3a9';

export interface Verdict {
  ok: boolean;
  /** What happened: an error code, `quarantined`, `accepted`. */
  outcome: string;
  detail?: string;
}

export interface HostileCase {
  target: 'codec' | 'codec-stream' | 'sne-request' | 'sne-response' | 'config';
  name: string;
  /** Large cases (tens of MiB): the suite runs them, `npm test` does not. */
  large?: boolean;
  /**
   * A defect this case found and that is not fixed yet (reported to the lead): `npm test` expects the
   * case to fail (jest's `it.failing`, which turns red once it is fixed: then remove the mark); the
   * suite counts it as a failed check.
   */
  knownDefect?: string;
  run(): Promise<Verdict>;
}

let shared: { codec: InterfaceNuuCodec; doc: string; personal: string[] } | undefined;

/** The codec and a valid three-demand document, made once. */
export function base(): { codec: InterfaceNuuCodec; doc: string; personal: string[] } {
  if (!shared) {
    const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
    const demandes = generateDemandes({ seed: 'hostile', count: 3 });
    const doc = codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2024-03-06T02:00:00+01:00' }, demandes });
    shared = { codec, doc, personal: demandes.flatMap(personalValuesOf).filter((v) => v.length >= 4 && !/^\d+$/.test(v)) };
  }
  return shared;
}

/** A message is clear when it is short, says something, and quotes neither the canary nor a personal value. */
export function unclearMessage(message: string, forbidden: readonly string[] = []): string | undefined {
  if (!message.trim()) return 'empty message';
  if (message.length > 1_000) return `message of ${message.length} characters`;
  if (message.includes(CANARY)) return 'the message quotes the input (canary)';
  const leaked = forbidden.find((v) => message.includes(v));
  return leaked === undefined ? undefined : 'the message quotes a personal value';
}

function issuesProblem(issues: readonly Issue[], forbidden: readonly string[] = []): string | undefined {
  if (issues.length === 0) return 'no issue listed';
  for (const i of issues) {
    if (typeof i.path !== 'string' || !i.rule) return 'an issue without a path or rule';
    const bad = unclearMessage(i.message, forbidden);
    if (bad) return `issue ${i.path}: ${bad}`;
  }
  return undefined;
}

/** A parsed document is acceptable when every refused demand says why, without quoting it. */
function parsedProblem(p: ParsedInterfaceNuu, forbidden: readonly string[]): string | undefined {
  for (const d of p.demandes) {
    if (!d.ok) {
      const bad = issuesProblem(d.issues, forbidden);
      if (bad) return bad;
    }
  }
  for (const i of p.problems) {
    const bad = unclearMessage(i.message, forbidden);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Runs the codec on one input: a `CodecError` with one of `codes`, or (when `mayParse`) a result whose
 * refused demands explain themselves. Anything else (another error type, a quoted value) fails.
 */
export function codecVerdict(input: string | Buffer, codes: readonly CodecErrorCode[], options: { mayParse?: boolean; codec?: InterfaceNuuCodec } = {}): Verdict {
  const { codec, personal } = base();
  const c = options.codec ?? codec;
  try {
    const parsed = c.parse(input);
    if (!options.mayParse) return { ok: false, outcome: 'accepted', detail: `expected ${codes.join(' or ')}` };
    const bad = parsedProblem(parsed, personal);
    const refused = parsed.demandes.filter((d) => !d.ok).length;
    return { ok: bad === undefined, outcome: refused ? 'quarantined' : 'accepted', ...(bad ? { detail: bad } : {}) };
  } catch (e) {
    if (!(e instanceof CodecError)) return { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: 'not a CodecError' };
    const bad = unclearMessage(e.message, personal);
    const expected = codes.length === 0 || codes.includes(e.code);
    return { ok: expected && bad === undefined, outcome: e.code, ...(bad ? { detail: bad } : expected ? {} : { detail: `expected ${codes.join(' or ')}` }) };
  }
}

async function streamVerdict(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, codes: readonly CodecErrorCode[], mayParse = false): Promise<Verdict> {
  const { codec, personal } = base();
  let items = 0;
  try {
    for await (const item of codec.stream(chunks)) {
      items++;
      const r = codec.parseFragment(item.xml, item);
      if (!r.ok) {
        const bad = issuesProblem(r.issues, personal);
        if (bad) return { ok: false, outcome: 'quarantined', detail: bad };
      }
    }
    return mayParse ? { ok: true, outcome: `streamed ${items}` } : { ok: false, outcome: `streamed ${items}`, detail: `expected ${codes.join(' or ')}` };
  } catch (e) {
    if (!(e instanceof CodecError)) return { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: 'not a CodecError' };
    const bad = unclearMessage(e.message, personal);
    const expected = codes.length === 0 || codes.includes(e.code);
    return { ok: expected && bad === undefined, outcome: e.code, ...(bad ? { detail: bad } : expected ? {} : { detail: `expected ${codes.join(' or ')}, after ${items} demands` }) };
  }
}

/** Inserts `what` just after the first `<demandeLogement>`-level element of the base document. */
function insertInFirstDemand(doc: string, what: string): string {
  const at = doc.indexOf('<numGuichet>');
  return at < 0 ? doc + what : doc.slice(0, at) + what + doc.slice(at);
}

const E = CodecErrorCode;

function codecCases(): HostileCase[] {
  const { doc } = base();
  const c = (name: string, make: () => string | Buffer, codes: CodecErrorCode[], o: { mayParse?: boolean; large?: boolean } = {}): HostileCase => ({
    target: 'codec',
    name,
    ...(o.large ? { large: true } : {}),
    run: async () => codecVerdict(make(), codes, o),
  });
  const laughs = ['<!DOCTYPE interfaceNuu [', '<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`), ']>'].join('\n');
  return [
    c('entity expansion (billion laughs)', () => doc.replace('<interfaceNuu', `${laughs}\n<interfaceNuu`).replace('<numGuichet>', '<remarque>&lol9;</remarque><numGuichet>'), [E.dtdForbidden]),
    c('quadratic blowup (one 100 KB entity used 10,000 times)', () => `<!DOCTYPE interfaceNuu [<!ENTITY a "${'x'.repeat(100_000)}">]>${doc.replace('<numGuichet>', `<remarque>${'&a;'.repeat(10_000)}</remarque><numGuichet>`)}`, [E.dtdForbidden]),
    c('external entity (file:///etc/passwd)', () => `<?xml version="1.0"?><!DOCTYPE interfaceNuu [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${doc.replace(/^<\?xml[^>]*>/, '').replace('<numGuichet>', '<remarque>&xxe;</remarque><numGuichet>')}`, [E.dtdForbidden]),
    c('external DTD over the network', () => `<!DOCTYPE interfaceNuu SYSTEM "http://127.0.0.1:1/${CANARY}.dtd">${doc.replace(/^<\?xml[^>]*>/, '')}`, [E.dtdForbidden]),
    c('parameter entities', () => `<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p"> %p;]>${doc.replace(/^<\?xml[^>]*>/, '')}`, [E.dtdForbidden]),
    c('a lone ENTITY declaration inside the document', () => insertInFirstDemand(doc, `<!ENTITY ${CANARY} "x">`), [E.dtdForbidden, E.malformed]),
    c('undeclared entity reference', () => insertInFirstDemand(doc, `<remarque>&${CANARY};</remarque>`), [E.malformed]),
    c('numeric reference to a code point XML forbids', () => insertInFirstDemand(doc, '<remarque>&#xFFFE;&#0;</remarque>'), [E.malformed]),
    c('numeric reference beyond Unicode', () => insertInFirstDemand(doc, '<remarque>&#x110000;&#99999999999;</remarque>'), [E.malformed]),
    c('deep nesting (1,000 levels)', () => insertInFirstDemand(doc, `${'<x>'.repeat(1_000)}${CANARY}${'</x>'.repeat(1_000)}`), [E.tooDeep]),
    c('deep nesting (1,000,000 levels, 7 MB)', () => insertInFirstDemand(doc, `${'<x>'.repeat(1_000_000)}${'</x>'.repeat(1_000_000)}`), [E.tooDeep, E.tooLarge]),
    c('unclosed deep nesting (200,000 open tags)', () => insertInFirstDemand(doc, '<x>'.repeat(200_000)), [E.tooDeep, E.malformed, E.tooLarge]),
    c('huge attribute (8 MiB) on a demand element', () => doc.replace('<demandeLogement>', `<demandeLogement a="${CANARY}${'A'.repeat(8 * 1024 * 1024)}">`), [E.tooLarge], { mayParse: true }),
    c('100,000 attributes on one element', () => doc.replace('<demandeLogement>', `<demandeLogement ${Array.from({ length: 100_000 }, (_, i) => `a${i}="1"`).join(' ')}>`), [E.tooLarge, E.malformed], { mayParse: true }),
    c('duplicate attributes', () => doc.replace('<demandeLogement>', `<demandeLogement a="1" a="${CANARY}">`), [E.malformed], { mayParse: true }),
    c('huge text value (8 MiB) in a name', () => doc.replace(/<nom>[^<]*<\/nom>/, `<nom>${CANARY}${'N'.repeat(8 * 1024 * 1024)}</nom>`), [E.tooLarge], { mayParse: true }),
    c('document over the size limit (65 MiB)', () => Buffer.concat([Buffer.from(doc.replace('</interfaceNuu>', '')), Buffer.alloc(65 * 1024 * 1024, 0x20), Buffer.from('</interfaceNuu>')]), [E.tooLarge], { large: true }),
    c('document over the size limit (as text)', () => doc.replace('</interfaceNuu>', `${' '.repeat(65 * 1024 * 1024)}</interfaceNuu>`), [E.tooLarge], { large: true }),
    c('invalid UTF-8 bytes', () => Buffer.concat([Buffer.from(insertInFirstDemand(doc, '<remarque>').split('<remarque>')[0] ?? ''), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe]), Buffer.from(doc.slice(doc.indexOf('<numGuichet>')))]), [E.encoding, E.malformed]),
    c('overlong UTF-8 encoding of "<"', () => Buffer.concat([Buffer.from(doc.slice(0, doc.indexOf('<numGuichet>'))), Buffer.from([0xc0, 0xbc]), Buffer.from(doc.slice(doc.indexOf('<numGuichet>')))]), [E.encoding, E.malformed]),
    c('UTF-8 encoded surrogate', () => Buffer.concat([Buffer.from(doc.slice(0, doc.indexOf('<numGuichet>'))), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(doc.slice(doc.indexOf('<numGuichet>')))]), [E.encoding, E.malformed]),
    c('declared in another encoding (ISO-8859-1)', () => doc.replace(/^<\?xml[^>]*>/, '<?xml version="1.0" encoding="ISO-8859-1"?>'), [E.encoding]),
    c('UTF-16 with its byte order mark', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]), [E.encoding, E.malformed]),
    c('NUL and control characters in text', () => doc.replace(/<nom>([^<]*)<\/nom>/, `<nom>$1\u0000\u0001\u001b</nom>`), [E.malformed]),
    c('truncated document', () => doc.slice(0, Math.floor(doc.length * 0.6)), [E.malformed]),
    c('empty input', () => '', [E.malformed, E.notInterfaceNuu]),
    c('whitespace only', () => ' \n\t '.repeat(1000), [E.malformed, E.notInterfaceNuu]),
    c('JSON instead of XML', () => JSON.stringify({ interfaceNuu: { demandes: [CANARY] } }), [E.malformed, E.notInterfaceNuu]),
    c('random binary (64 KiB)', () => Buffer.from(Array.from({ length: 65_536 }, (_, i) => (i * 2654435761) >>> 24)), [E.malformed, E.encoding, E.notInterfaceNuu]),
    c('another root element', () => `<?xml version="1.0"?><html><body>${CANARY}</body></html>`, [E.notInterfaceNuu]),
    c('mismatched end tag', () => doc.replace('</demandeLogement>', '</demandeLogemen>'), [E.malformed]),
    c('processing instruction and comment tricks', () => insertInFirstDemand(doc, `<?php echo "${CANARY}"?><!-- -- ${CANARY} --><![CDATA[ ]]> ]]>`), [E.malformed], { mayParse: true }),
    c('CDATA holding markup', () => doc.replace(/<nom>[^<]*<\/nom>/, `<nom><![CDATA[<x>&lol;${CANARY}</x>]]></nom>`), [], { mayParse: true }),
    c('wrong types: letters in a date, text in an amount, unknown code', () =>
      doc
        .replace(/<dateNaissance>[^<]*<\/dateNaissance>/, `<dateNaissance>${CANARY}</dateNaissance>`)
        .replace(/<montant>[^<]*<\/montant>/, `<montant>${CANARY}</montant>`), [], { mayParse: true }),
    c('a demand with every element repeated 1,000 times', () => doc.replace(/(<nom>[^<]*<\/nom>)/, (m) => m.repeat(1_000)), [E.tooLarge], { mayParse: true }),
    c('namespace tricks (redeclared prefix, unknown namespace)', () => doc.replace('<interfaceNuu', `<interfaceNuu xmlns:ns9="urn:${CANARY}"`).replace('<numGuichet>', '<ns9:numGuichet>x</ns9:numGuichet><numGuichet>'), [E.malformed, E.notInterfaceNuu], { mayParse: true }),
    c('attribute value with a raw "<"', () => doc.replace('<demandeLogement>', `<demandeLogement a="<${CANARY}">`), [E.malformed]),
  ];
}

function streamCases(large: boolean): HostileCase[] {
  const { doc } = base();
  const head = doc.slice(0, doc.indexOf('<demandeLogement>'));
  const first = doc.slice(doc.indexOf('<demandeLogement>'), doc.indexOf('</demandeLogement>') + '</demandeLogement>'.length);
  const tail = doc.slice(doc.lastIndexOf('</demandeLogement>') + '</demandeLogement>'.length);
  const s = (name: string, make: () => AsyncIterable<Buffer | string> | Iterable<Buffer | string>, codes: CodecErrorCode[], mayParse = false, isLarge = false): HostileCase => ({
    target: 'codec-stream',
    name,
    ...(isLarge ? { large: true } : {}),
    run: () => streamVerdict(make(), codes, mayParse),
  });
  // A stream of `mb` MiB of valid demands, generated as it is read: memory must not follow its size.
  function* manyDemandes(mb: number): Generator<string> {
    yield head;
    let sent = 0;
    while (sent < mb * 1024 * 1024) {
      const chunk = first.repeat(50);
      sent += chunk.length;
      yield chunk;
    }
    yield tail;
  }
  return [
    s('one demand of 8 MiB in a stream', () => [head, first.replace('<demandeLogement>', `<demandeLogement>${'<remarque>x</remarque>'.repeat(400_000)}`), tail], [E.tooLarge]),
    s('endless text without a tag (16 MiB)', function* () {
      yield head;
      for (let i = 0; i < 16; i++) yield 'x'.repeat(1024 * 1024);
    }, [E.tooLarge, E.malformed]),
    s('DTD at the start of a stream', () => [laughsHead(), head.replace(/^<\?xml[^>]*>/, ''), first, tail], [E.dtdForbidden]),
    s('deep nesting split across 1-byte chunks', function* () {
      const d = insertInFirstDemand(doc, `${'<x>'.repeat(5_000)}${'</x>'.repeat(5_000)}`);
      for (let i = 0; i < d.length; i += 1) yield d[i] ?? '';
    }, [E.tooDeep]),
    s('invalid UTF-8 split across chunks', () => [Buffer.from(head), Buffer.from(first.slice(0, 40)), Buffer.from([0xe2, 0x82]), Buffer.from([0x28]), Buffer.from(first.slice(40)), Buffer.from(tail)], [E.encoding, E.malformed]),
    s('truncated stream', () => [head, first, first.slice(0, 100)], [E.malformed]),
    s(`${large ? 200 : 20} MiB of valid demands, generated as read`, () => manyDemandes(large ? 200 : 20), [], true, true),
  ];
}

function laughsHead(): string {
  return '<?xml version="1.0"?><!DOCTYPE interfaceNuu [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
}

// ---- SNE wire (MTOM) --------------------------------------------------------------------------------

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function validRequest(): { contentType: string; body: Buffer; boundary: string } {
  const { doc } = base();
  const r = buildSneRequest({ operation: 'getNumUnique', nomFichierDemande: 'DEMG0123-202403060200-000001.xml', fichierDemande: doc, nomCertificat: 'CERG0123-202403060200.pem', certificat: CERT });
  return { contentType: r.contentType, body: r.body, boundary: r.ids.boundary };
}

function validResponse(): { contentType: string; body: Buffer } {
  const { doc } = base();
  const r = buildSneResponse({ operation: 'getDemandeLogement', payload: doc, payloadAsAttachment: true });
  return { contentType: r.contentType, body: r.body };
}

/** A request the service refuses with `SNE_REQUEST_INVALID` and issues naming path and rule. */
function requestVerdict(contentType: string | undefined, body: Buffer, mayParse = false): Verdict {
  try {
    parseSneRequest(contentType, body);
    return mayParse ? { ok: true, outcome: 'accepted' } : { ok: false, outcome: 'accepted', detail: 'expected SNE_REQUEST_INVALID' };
  } catch (e) {
    if (!(e instanceof ValidationError)) return { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: 'not a ValidationError' };
    const bad = issuesProblem(e.issues) ?? unclearMessage(e.message);
    return { ok: bad === undefined && e.code === 'SNE_REQUEST_INVALID', outcome: e.code, ...(bad ? { detail: bad } : {}) };
  }
}

/** An answer the client refuses with a classified error (transient on a read): never a raw exception. */
function responseVerdict(contentType: string | undefined, body: Buffer, options: { maxBytes?: number } = {}): Verdict {
  try {
    const r = parseSneResponse(contentType, body, { operation: 'getDemandeLogement', ...options });
    return { ok: false, outcome: `accepted (${r.kind})`, detail: 'expected a refusal' };
  } catch (e) {
    if (!isGatewayError(e)) return { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: 'not a GatewayError' };
    const bad = unclearMessage(e.message);
    return { ok: bad === undefined, outcome: `${e.errorClass} ${e.code}`, ...(bad ? { detail: bad } : {}) };
  }
}

function wireCases(): HostileCase[] {
  const req = validRequest();
  const res = validResponse();
  const text = req.body.toString('latin1');
  const rq = (name: string, make: () => { ct?: string; body: Buffer }, isLarge = false, mayParse = false): HostileCase => ({
    target: 'sne-request',
    name,
    ...(isLarge ? { large: true } : {}),
    run: async () => {
      const m = make();
      return requestVerdict(m.ct, m.body, mayParse);
    },
  });
  const rs = (name: string, make: () => { ct?: string; body: Buffer; maxBytes?: number }, isLarge = false): HostileCase => ({
    target: 'sne-response',
    name,
    ...(isLarge ? { large: true } : {}),
    run: async () => {
      const m = make();
      return responseVerdict(m.ct, m.body, m.maxBytes === undefined ? {} : { maxBytes: m.maxBytes });
    },
  });
  const withEnvelope = (f: (env: string) => string): Buffer => {
    const start = text.indexOf('<soap:Envelope') >= 0 ? text.indexOf('<soap:Envelope') : text.indexOf('<env:Envelope') >= 0 ? text.indexOf('<env:Envelope') : text.indexOf('Envelope') - 5;
    const end = text.indexOf(`--${req.boundary}`, start);
    return Buffer.from(text.slice(0, start) + f(text.slice(start, end)) + text.slice(end), 'latin1');
  };
  const resText = res.body.toString('latin1');
  return [
    rq('no Content-Type', () => ({ body: req.body })),
    rq('Content-Type without boundary', () => ({ ct: req.contentType.replace(/boundary="?[^";]*"?;?/, ''), body: req.body })),
    rq('boundary absent from the body', () => ({ ct: req.contentType.replace(req.boundary, `zz${CANARY}`), body: req.body })),
    rq('Content-Type with an unclosed quote', () => ({ ct: `multipart/related; boundary="${CANARY}; type="application/xop+xml`, body: req.body })),
    rq('Content-Type of 100,000 parameters', () => ({ ct: `multipart/related; ${Array.from({ length: 100_000 }, (_, i) => `p${i}=v`).join('; ')}`, body: req.body })),
    rq('truncated body (no closing boundary)', () => ({ ct: req.contentType, body: req.body.subarray(0, Math.floor(req.body.length * 0.7)) })),
    rq('empty body', () => ({ ct: req.contentType, body: Buffer.alloc(0) })),
    rq('10,000 empty parts', () => ({ ct: req.contentType, body: Buffer.from(`${Array.from({ length: 10_000 }, () => `--${req.boundary}\r\nContent-ID: <x@y>\r\n\r\n\r\n`).join('')}--${req.boundary}--\r\n`) })),
    // Bounded by the body limit (25 MiB at the simulator, 64 MiB at the client): may be read.
    rq('a part header of 1 MiB', () => ({ ct: req.contentType, body: Buffer.from(text.replace('Content-ID:', `X-${CANARY}: ${'h'.repeat(1024 * 1024)}\r\nContent-ID:`), 'latin1') }), false, true),
    rq('DTD with entities in the SOAP envelope', () => ({ ct: req.contentType, body: withEnvelope((env) => `<!DOCTYPE e [<!ENTITY a "${'a'.repeat(1000)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>${env}`) })),
    rq('external entity in the SOAP envelope', () => ({ ct: req.contentType, body: withEnvelope((env) => `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>${env.replace('</', '&x;</')}`) })),
    rq('deep nesting in the SOAP envelope (100,000 levels)', () => ({ ct: req.contentType, body: withEnvelope((env) => env.replace(/(<[a-zA-Z]+:Body[^>]*>)/, `$1${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`)) })),
    rq('xop:Include to a part that is not there', () => ({ ct: req.contentType, body: Buffer.from(text.replace(/href="cid:[^"]+"/, `href="cid:${CANARY}@nowhere"`), 'latin1') })),
    rq('two parts with the same Content-ID', () => ({ ct: req.contentType, body: Buffer.from(text.replace(/Content-ID: <[^>]+>/g, 'Content-ID: <same@x>'), 'latin1') })),
    rq('invalid UTF-8 in the envelope', () => ({ ct: req.contentType, body: withEnvelope((env) => env.replace('</', '\xc3\x28\xff</')) })),
    rq('envelope of another SOAP version', () => ({ ct: req.contentType, body: Buffer.from(text.replace(/http:\/\/www\.w3\.org\/2003\/05\/soap-envelope/g, `urn:${CANARY}`), 'latin1') })),
    rq('operation element of another name', () => ({ ct: req.contentType, body: Buffer.from(text.replace(/numUniqueParametres/g, "inconnuParametres"), 'latin1') })),
    rq('wrong value types (date, file name)', () => ({ ct: req.contentType, body: Buffer.from(text.replace(/DEMG0123-202403060200-000001\.xml/g, `${CANARY}.xml`), 'latin1') })),
    rq('plain JSON body', () => ({ ct: 'application/json', body: Buffer.from(JSON.stringify({ numUnique: CANARY })) })),
    rs('truncated MTOM answer', () => ({ ct: res.contentType, body: res.body.subarray(0, Math.floor(res.body.length / 2)) })),
    rs('MTOM answer cut inside the boundary line', () => ({ ct: res.contentType, body: res.body.subarray(0, res.body.length - 4) })),
    rs('malformed XML in a well-framed answer', () => ({ ct: res.contentType, body: Buffer.from(resText.replace('</', '</x'), 'latin1') })),
    rs('DTD in the answer envelope', () => ({ ct: res.contentType, body: Buffer.from(resText.replace(/(<\?xml[^>]*\?>)?(\s*<[a-zA-Z]+:Envelope)/, `$1<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>$2`), 'latin1') })),
    rs('answer over the size limit', () => ({ ct: res.contentType, body: res.body, maxBytes: 100 })),
    rs('HTML error page with status 200', () => ({ ct: 'text/html', body: Buffer.from(`<html><body>${CANARY}</body></html>`) })),
    rs('empty answer', () => ({ ct: res.contentType, body: Buffer.alloc(0) })),
    rs('answer of 20 MiB of garbage', () => ({ ct: res.contentType, body: Buffer.alloc(20 * 1024 * 1024, 0x41) }), true),
  ];
}

// ---- configuration ----------------------------------------------------------------------------------

const GOOD_CONFIG = `
redis: { url: redis://127.0.0.1:6379, prefix: hostile }
sne: { url: http://127.0.0.1:1, guichet: G0123 }
local: { url: http://127.0.0.1:2, token: { env: T_LOCAL_TOKEN } }
territory: { department: '35' }
dispatch: { dropDir: /tmp, doneDir: /tmp, rejectedDir: /tmp }
crypto: { keys: [{ id: k1, secret: { env: T_KEY } }], activeKeyId: k1 }
events: { hmacSecret: { env: T_HMAC } }
`;

function configVerdict(text: string): Verdict {
  const env = { T_LOCAL_TOKEN: 'test-local-token-0123456789', T_KEY: Buffer.alloc(32, 7).toString('base64'), T_HMAC: 'test-hmac-secret-0123456789abcdef-0123' };
  try {
    const r = checkConfigText(text, { env, cwd: '/tmp' });
    if (r.config && r.issues.length === 0) return { ok: false, outcome: 'accepted', detail: 'expected issues' };
    const bad = issuesProblem(r.issues);
    return { ok: bad === undefined, outcome: `${r.issues.length} issue(s): ${[...new Set(r.issues.map((i) => i.rule))].slice(0, 3).join(', ')}`, ...(bad ? { detail: bad } : {}) };
  } catch (e) {
    return { ok: false, outcome: e instanceof Error ? e.name : typeof e, detail: `threw instead of listing issues${e instanceof Error && e.message.includes(CANARY) ? ' (quoting the input)' : ''}` };
  }
}

function configCases(): HostileCase[] {
  const k = (name: string, make: () => string, isLarge = false): HostileCase => ({ target: 'config', name, ...(isLarge ? { large: true } : {}), run: async () => configVerdict(make()) });
  const aliases = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  return [
    k('alias expansion (billion laughs in YAML)', () => `${GOOD_CONFIG}\n${aliases}\n`),
    k('merge-key bomb', () => `${GOOD_CONFIG}\nx: &x { a: 1 }\n${Array.from({ length: 200 }, (_, i) => `y${i}: &y${i} { <<: [${i ? `*y${i - 1}` : '*x'}, *x] }`).join('\n')}\n`),
    k('deep nesting (10,000 flow levels)', () => `${GOOD_CONFIG}\nweb: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`),
    k('deep nesting (2,000 block levels)', () => `${GOOD_CONFIG}\nweb:\n${Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`),
    k('a document of 20 MiB', () => `${GOOD_CONFIG}\nnotes: "${CANARY}${'x'.repeat(20 * 1024 * 1024)}"\n`, true),
    k('invalid UTF-8 bytes (decoded as replacement characters)', () => Buffer.concat([Buffer.from(GOOD_CONFIG.replace('prefix: hostile', 'prefix: "hos')), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('tile"')]).toString('utf8')),
    k('wrong types everywhere', () => GOOD_CONFIG.replace('prefix: hostile', `prefix: [${CANARY}]`).replace("department: '35'", 'department: { a: 1 }').replace('guichet: G0123', 'guichet: 123')),
    k('a secret written in clear where a reference is expected', () => GOOD_CONFIG.replace('token: { env: T_LOCAL_TOKEN }', `token: ${CANARY}-plain-secret-value`)),
    k('unknown sections and keys', () => `${GOOD_CONFIG}\n${CANARY}: 1\nredis2: { url: x }\n`),
    k('language-specific tags (!!js/function, !!binary)', () => `${GOOD_CONFIG}\nweb: !!js/function "function(){ return '${CANARY}' }"\nextra: !!binary ${Buffer.from(CANARY).toString('base64')}\n`),
    k('YAML syntax error quoting a secret line', () => `${GOOD_CONFIG}\nlocal: { url: "http://x", token: "${CANARY}" ]\n`),
    k('the whole file a scalar', () => `"${CANARY}"`),
    k('the whole file a list', () => `- ${CANARY}\n- 2\n`),
    k('NUL bytes', () => `${GOOD_CONFIG}\u0000${CANARY}\u0000`),
  ];
}

/** Every hostile case; `large: false` leaves out the ones of tens of MiB (for `npm test`). */
export function hostileCases(options: { large: boolean }): HostileCase[] {
  const all = [...codecCases(), ...streamCases(options.large), ...wireCases(), ...configCases()];
  return options.large ? all : all.filter((c) => !c.large);
}
