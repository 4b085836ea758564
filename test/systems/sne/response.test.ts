import {
  buildSneFaultResponse,
  buildSneResponse,
  extractAnomalies,
  faultToError,
  parseSneResponse,
  type ParsedSneResponse,
} from '../../../src/systems/sne/wire';
import { GatewayError } from '../../../src/errors';
import { crlf } from './samples';

const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/** A registered demand as the service sends it back: prefix declared on the envelope, one anomaly. */
const RESPONSE_ENVELOPE =
  `<soap:Envelope xmlns:soap="${SOAP12}" xmlns:ns2="http://nuu.application.i2/"><soap:Body>` +
  '<ns3:getNumUniqueResponse xmlns:ns3="http://ws.metier.nuu.application.i2/"><return>' +
  '<ns2:interfaceNuu versionInterface="02.01"><ns2:entete><ns2:typeFichier>CRE</ns2:typeFichier></ns2:entete>' +
  '<ns2:demande><ns2:demandeLogement><ns2:numUnique>1110318016982G1104</ns2:numUnique>' +
  '<ns2:listeAnomalie><ns2:anomalie code="CTRL_DEM_0040"><ns2:libelle>Commune souhaitée inconnue</ns2:libelle></ns2:anomalie></ns2:listeAnomalie>' +
  '</ns2:demandeLogement></ns2:demande></ns2:interfaceNuu>' +
  '</return></ns3:getNumUniqueResponse></soap:Body></soap:Envelope>';

function parse(contentType: string | undefined, body: string | Buffer, operation: 'getNumUnique' | 'getDemandeLogement' | 'getDoublons' = 'getDemandeLogement'): ParsedSneResponse {
  return parseSneResponse(contentType, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), { operation });
}

function failure(contentType: string | undefined, body: string | Buffer, operation: 'getNumUnique' | 'getDemandeLogement' = 'getDemandeLogement'): GatewayError {
  try {
    parse(contentType, body, operation);
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the answer was accepted');
}

describe('parseSneResponse: MTOM answers', () => {
  const contentType =
    'multipart/related; type="application/xop+xml"; boundary="uuid:6b62cda8-0e1d-4b1c-9c3a-1f0e2d3c4b5a"; ' +
    'start="<root.message@cxf.apache.org>"; start-info="application/soap+xml"';

  it('finds the root part by start and returns the interfaceNuu document standalone, with its anomalies', () => {
    const body = crlf(
      '--uuid:6b62cda8-0e1d-4b1c-9c3a-1f0e2d3c4b5a',
      'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
      'Content-Transfer-Encoding: binary',
      'Content-Id: <root.message@cxf.apache.org>',
      '',
      RESPONSE_ENVELOPE,
      '--uuid:6b62cda8-0e1d-4b1c-9c3a-1f0e2d3c4b5a--',
    );
    const r = parse(contentType, body, 'getNumUnique');
    expect(r.kind).toBe('interfaceNuu');
    if (r.kind !== 'interfaceNuu') return;
    expect(r.packaging).toBe('mtom');
    // The prefix declared on the envelope travels with the document.
    expect(r.xml.startsWith('<ns2:interfaceNuu xmlns:ns2="http://nuu.application.i2/" versionInterface="02.01">')).toBe(true);
    expect(r.xml.endsWith('</ns2:interfaceNuu>')).toBe(true);
    expect(r.anomalies).toEqual([{ code: 'CTRL_DEM_0040', message: 'Commune souhaitée inconnue', demandeIndex: 0 }]);
    expect(extractAnomalies(r.xml)).toEqual(r.anomalies);
  });

  it('resolves an xop:Include to the referenced part, with lower-case headers and bare LF line ends', () => {
    const doc = '<?xml version="1.0" encoding="UTF-8"?>\n<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01"><demande/></interfaceNuu>';
    const body = [
      'preamble to ignore',
      '--b1',
      'content-type: application/xop+xml; charset=utf-8; type="application/soap+xml"',
      'content-id: <root@sne>',
      '',
      `<env:Envelope xmlns:env="${SOAP12}"><env:Body><getDemandeLogementResponse xmlns="http://ws.metier.nuu.application.i2/">` +
        '<return><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc%40sne"/></return></getDemandeLogementResponse></env:Body></env:Envelope>',
      '--b1',
      'content-type: text/xml; charset=UTF-8',
      'content-transfer-encoding: binary',
      'content-id: <doc@sne>',
      '',
      doc,
      '--b1--',
      '',
    ].join('\n');
    const r = parse('Multipart/Related; Type="application/xop+xml"; Boundary=b1; Start="<root@sne>"', body);
    expect(r).toEqual({ kind: 'interfaceNuu', xml: doc, anomalies: [], packaging: 'mtom' });
  });

  it('decodes a base64 part', () => {
    const doc = '<listeDoublons xmlns="http://nuu.application.i2/"><doublon numUnique="1110318016982G1104"/></listeDoublons>';
    const body = crlf(
      '--b2',
      'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
      'Content-ID: <root@sne>',
      '',
      `<s:Envelope xmlns:s="${SOAP12}"><s:Body><r><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:d@sne"/></r></s:Body></s:Envelope>`,
      '--b2',
      'Content-Type: text/xml',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <d@sne>',
      '',
      Buffer.from(doc).toString('base64').replace(/(.{40})/g, '$1\r\n'),
      '--b2--',
    );
    expect(parse('multipart/related; boundary="b2"; start="<root@sne>"', body, 'getDoublons')).toEqual({ kind: 'listeDoublons', xml: doc, packaging: 'mtom' });
  });

  it('takes the first part as root when start is absent', () => {
    const body = crlf('--b3', 'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"', '', RESPONSE_ENVELOPE, '--b3--');
    expect(parse('multipart/related; boundary=b3', body).kind).toBe('interfaceNuu');
  });
});

describe('parseSneResponse: plain SOAP answers', () => {
  it('reads an application/soap+xml answer holding listeDoublons', () => {
    const env = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><ns1:getDoublonsResponse xmlns:ns1="http://ws.metier.nuu.application.i2/"><return><listeDoublons><doublon>1110318016982G1104</doublon></listeDoublons></return></ns1:getDoublonsResponse></soap:Body></soap:Envelope>`;
    expect(parse('application/soap+xml;charset=UTF-8', env, 'getDoublons')).toEqual({
      kind: 'listeDoublons',
      xml: '<listeDoublons><doublon>1110318016982G1104</doublon></listeDoublons>',
      packaging: 'soap',
    });
  });

  it('reads a document sent as escaped text inside the answer element', () => {
    const doc = '<interfaceNuu xmlns="http://nuu.application.i2/"><demande/></interfaceNuu>';
    const escaped = doc.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const env = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><return>${escaped}</return></r></soap:Body></soap:Envelope>`;
    expect(parse('application/soap+xml', env)).toMatchObject({ kind: 'interfaceNuu', xml: doc });
  });

  it('reads a document sent as base64 text inside the answer element', () => {
    const doc = '<interfaceNuu xmlns="http://nuu.application.i2/"><demande/></interfaceNuu>';
    const env = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><return>${Buffer.from(doc).toString('base64')}</return></r></soap:Body></soap:Envelope>`;
    expect(parse('application/soap+xml', env)).toMatchObject({ kind: 'interfaceNuu', xml: doc });
  });

  it('returns an empty answer when the answer element holds nothing', () => {
    const env = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><ns1:getDemandesRadieesDepuisLeResponse xmlns:ns1="http://ws.metier.nuu.application.i2/"><return/></ns1:getDemandesRadieesDepuisLeResponse></soap:Body></soap:Envelope>`;
    expect(parse('application/soap+xml', env)).toEqual({ kind: 'empty', packaging: 'soap' });
  });

  it('reads ordinary pages full of entities without tripping an expansion limit', () => {
    const libelles = Array.from({ length: 5000 }, (_, k) => `<anomalie code="CTRL_DEM_${String(k % 10000).padStart(4, '0')}"><libelle>R&amp;D &lt;${k}&gt; &#233;t&#xE9;</libelle></anomalie>`).join('');
    const env = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><interfaceNuu><demande><demandeLogement><listeAnomalie>${libelles}</listeAnomalie></demandeLogement></demande></interfaceNuu></r></soap:Body></soap:Envelope>`;
    const r = parse('application/soap+xml', env);
    expect(r.kind === 'interfaceNuu' && r.anomalies.length).toBe(5000);
    expect(r.kind === 'interfaceNuu' && r.anomalies[7]?.message).toBe('R&D <7> été');
  });

  it('lists anomalies of every demandeLogement with its position', () => {
    const xml =
      '<i:interfaceNuu xmlns:i="http://nuu.application.i2/"><i:demande>' +
      '<i:demandeLogement><i:numUnique>A</i:numUnique></i:demandeLogement>' +
      '<i:demandeLogement><i:listeAnomalie><i:anomalie code=" CTRL_DEM_0030 "><i:libelle> champ manquant </i:libelle></i:anomalie>' +
      '<i:anomalie code="CTRL_DEM_0031">code hors liste</i:anomalie></i:listeAnomalie></i:demandeLogement>' +
      '</i:demande></i:interfaceNuu>';
    expect(extractAnomalies(xml)).toEqual([
      { code: 'CTRL_DEM_0030', message: 'champ manquant', demandeIndex: 1 },
      { code: 'CTRL_DEM_0031', message: 'code hors liste', demandeIndex: 1 },
    ]);
  });
});

describe('parseSneResponse: SOAP faults', () => {
  it('reads a SOAP 1.2 fault: code, subcode, French reason and detail element names', () => {
    const env =
      `<env:Envelope xmlns:env="${SOAP12}"><env:Body><env:Fault>` +
      '<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value xmlns:s="http://ws.metier.nuu.application.i2/">s:CertificatNonConforme</env:Value></env:Subcode></env:Code>' +
      '<env:Reason><env:Text xml:lang="en">Bad certificate name</env:Text><env:Text xml:lang="fr">Le nom du certificat associé [] n’est pas conforme.</env:Text></env:Reason>' +
      '<env:Detail><trace>at i2.nuu...</trace></env:Detail></env:Fault></env:Body></env:Envelope>';
    const r = parse('application/soap+xml; charset=utf-8', env);
    expect(r).toEqual({
      kind: 'fault',
      packaging: 'soap',
      fault: {
        soapVersion: '1.2',
        code: 'Sender',
        subcode: 's:CertificatNonConforme',
        reason: 'Le nom du certificat associé [] n’est pas conforme.',
        detailElements: ['trace'],
      },
    });
  });

  it('turns a fault into a permanent SNE_SOAP_FAULT with code and reason', () => {
    const built = buildSneFaultResponse({ code: 'Receiver', reason: 'Une erreur inattendue est survenue lors du traitement de la demande.' });
    expect(built.status).toBe(500);
    const r = parse(built.contentType, built.body);
    if (r.kind !== 'fault') throw new Error('expected a fault');
    const e = faultToError(r.fault, 'getDemandeLogement');
    expect(e).toMatchObject({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent', system: 'sne' });
    expect(e.details).toMatchObject({ faultCode: 'Receiver', reason: 'Une erreur inattendue est survenue lors du traitement de la demande.', operation: 'getDemandeLogement' });
    expect(e.message).toBe('SNE getDemandeLogement: SOAP fault Receiver: Une erreur inattendue est survenue lors du traitement de la demande.');
  });

  it('truncates a long reason to 300 characters and collapses its whitespace', () => {
    const built = buildSneFaultResponse({ code: 'Sender', subcode: 'Trop', reason: `début\n\n${'x'.repeat(1000)}`, packaging: 'mtom' });
    expect(built.status).toBe(400);
    const r = parse(built.contentType, built.body);
    if (r.kind !== 'fault') throw new Error('expected a fault');
    expect(r.fault.reason).toHaveLength(300);
    expect(r.fault.reason.startsWith('début xxx')).toBe(true);
    expect(r.fault.subcode).toBe('sne:Trop');
    expect(r.packaging).toBe('mtom');
  });

  it('reads a SOAP 1.1 fault from a proxy', () => {
    const env = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>Service indisponible</faultstring></s:Fault></s:Body></s:Envelope>';
    expect(parse('text/xml; charset=utf-8', env)).toEqual({
      kind: 'fault',
      packaging: 'soap',
      fault: { soapVersion: '1.1', code: 'Server', reason: 'Service indisponible', detailElements: [] },
    });
  });
});

describe('parseSneResponse: truncated or malformed answers', () => {
  const mtom = buildSneResponse({ operation: 'getNumUnique', payload: '<interfaceNuu xmlns="http://nuu.application.i2/"><demande/></interfaceNuu>' });
  const truncated = mtom.body.subarray(0, mtom.body.length - 30);

  it('classifies a truncated multipart as transient on a read', () => {
    const e = failure(mtom.contentType, truncated, 'getDemandeLogement');
    expect(e).toMatchObject({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'transient' });
    expect(e.details.rule).toBe('multipart.truncated');
    expect(e.message).toContain('missing closing boundary');
  });

  it('classifies a truncated multipart as ambiguous on a write', () => {
    expect(failure(mtom.contentType, truncated, 'getNumUnique')).toMatchObject({ code: 'SNE_MALFORMED_RESPONSE', errorClass: 'ambiguous' });
  });

  it('refuses malformed XML, a DOCTYPE and an undeclared entity', () => {
    expect(failure('application/soap+xml', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r>`).details.rule).toBe('xml.element.unclosed');
    const bomb = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r>&b;</r></soap:Body></soap:Envelope>`;
    expect(failure('application/soap+xml', bomb).details.rule).toBe('xml.doctype.forbidden');
    expect(failure('application/soap+xml', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r>&xxe;</r></soap:Body></soap:Envelope>`).details.rule).toBe(
      'xml.entity.undeclared',
    );
  });

  it('refuses an answer that is not SOAP: HTML page, no Content-Type, empty body, no payload', () => {
    expect(failure('text/html', '<html><body>Maintenance</body></html>').details.rule).toBe('contentType.type');
    expect(failure(undefined, RESPONSE_ENVELOPE).details.rule).toBe('contentType.missing');
    expect(failure('application/soap+xml', '').details.rule).toBe('envelope.empty');
    expect(failure('application/soap+xml', '<html/>').details.rule).toBe('envelope.missing');
    const other = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><autre>texte</autre></r></soap:Body></soap:Envelope>`;
    expect(failure('application/soap+xml', other).details.rule).toBe('payload.missing');
  });

  it('refuses an xop:Include that points at no part, and a body over the size limit', () => {
    const body = crlf(
      '--b',
      'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
      '',
      `<s:Envelope xmlns:s="${SOAP12}"><s:Body><r><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:absent@sne"/></r></s:Body></s:Envelope>`,
      '--b--',
    );
    expect(failure('multipart/related; boundary=b', body).details.rule).toBe('xop.unresolved');
    expect(() => parseSneResponse(mtom.contentType, mtom.body, { operation: 'getDemandeLogement', maxBytes: 10 })).toThrow(/exceeds 10 bytes/);
  });

  it('keeps the content of the answer out of the error', () => {
    const e = failure('application/soap+xml', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><nom>Testé</nom></r></soap:Body></soap:Envelope>`);
    expect(JSON.stringify(e.toJSON())).not.toContain('Testé');
  });
});

describe('buildSneResponse (simulator side) reads back through parseSneResponse', () => {
  const doc = '<?xml version="1.0" encoding="UTF-8"?>\n<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01"><demande/></interfaceNuu>';

  it.each([
    ['mtom', false],
    ['soap', false],
  ] as const)('inline in a %s answer', (packaging, payloadAsAttachment) => {
    const built = buildSneResponse({ operation: 'getDemandeLogement', payload: doc, packaging, payloadAsAttachment });
    expect(built.status).toBe(200);
    const r = parse(built.contentType, built.body);
    expect(r).toMatchObject({ kind: 'interfaceNuu', packaging, xml: '<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01"><demande/></interfaceNuu>' });
  });

  it('as an XOP attachment, byte for byte', () => {
    const built = buildSneResponse({ operation: 'getDemandeLogement', payload: doc, payloadAsAttachment: true });
    expect(parse(built.contentType, built.body)).toMatchObject({ kind: 'interfaceNuu', packaging: 'mtom', xml: doc });
  });

  it('with no payload', () => {
    const built = buildSneResponse({ operation: 'getNouveauxDaloDepuisLe', packaging: 'soap' });
    expect(parse(built.contentType, built.body)).toEqual({ kind: 'empty', packaging: 'soap' });
  });
});

describe('parseSneResponse: identifiers are not mistaken for documents', () => {
  it('does not read a numUnique as base64, and says no payload was found', () => {
    const env = `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><r><return><numUnique>1110318016982G1104</numUnique></return></r></soap:Body></soap:Envelope>`;
    expect(failure('application/soap+xml', env).details.rule).toBe('payload.missing');
  });
});
