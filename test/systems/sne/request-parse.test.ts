import { buildSneRequest, parseSneRequest, SNE_OPERATIONS, type SneRequestInput } from '../../../src/systems/sne/wire';
import { ValidationError } from '../../../src/errors';
import { CERT_PEM, DEMANDE_XML, FIXED_IDS } from './samples';

const CERT = { nomCertificat: 'CERG1226-201701131455.pem', certificat: Buffer.from(CERT_PEM) };
const FICHIER = { nomFichierDemande: 'DEMG1226-201701131455-000001.xml', fichierDemande: Buffer.from(DEMANDE_XML) };
const INPUTS: Record<string, SneRequestInput> = {
  getNumUnique: { operation: 'getNumUnique', ...FICHIER, ...CERT },
  getDemandeLogement: { operation: 'getDemandeLogement', numUnique: '1111023517879GDPUB', ...CERT },
  getDoublons: { operation: 'getDoublons', ...FICHIER },
  getNouveauxDaloDepuisLe: { operation: 'getNouveauxDaloDepuisLe', dateNouveauDaloDepuisLe: '2017-01-13T14:55:43.5+01:00', ...CERT },
  getDemandesRadieesDepuisLe: { operation: 'getDemandesRadieesDepuisLe', dateRadiationDepuisLe: '2017-01-13T14:55:43.0+01:00', ...CERT },
};

function numUniqueRequest(): { contentType: string; text: string } {
  const r = buildSneRequest(INPUTS.getNumUnique as SneRequestInput, { ids: FIXED_IDS });
  return { contentType: r.contentType, text: r.body.toString('utf8') };
}

/** The single issue of the ValidationError thrown by parsing. */
function refusal(contentType: string | undefined, body: string | Buffer, options = {}): { path: string; rule: string; message: string } {
  try {
    parseSneRequest(contentType, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), options);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    const v = e as ValidationError;
    expect(v.code).toBe('SNE_REQUEST_INVALID');
    return v.issues[0] as { path: string; rule: string; message: string };
  }
  throw new Error('the request was accepted');
}

describe('parseSneRequest: round trip with buildSneRequest', () => {
  it.each(SNE_OPERATIONS)('reads back %s: operation, values, attachments and ids', (operation) => {
    const input = INPUTS[operation] as SneRequestInput;
    const built = buildSneRequest(input);
    const parsed = parseSneRequest(built.contentType, built.body);
    expect(parsed.operation).toBe(operation);
    expect(parsed.action).toBe(built.action);
    expect(parsed.input).toEqual(input);
    expect(parsed.ids.boundary).toBe(built.ids.boundary);
    expect(parsed.ids.root).toBe(built.ids.root);
    // Rebuilding what was read gives the same bytes.
    expect(buildSneRequest(parsed.input, { ids: built.ids }).body.equals(built.body)).toBe(true);
  });

  it('returns the attachments with their Content-ID and type', () => {
    const { contentType, text } = numUniqueRequest();
    const parsed = parseSneRequest(contentType, Buffer.from(text));
    expect(parsed.attachments.fichierDemande).toEqual({
      contentId: 'fichierDemande.test@passerelle',
      contentType: 'text/xml; charset=UTF-8',
      data: Buffer.from(DEMANDE_XML),
    });
    expect(parsed.attachments.certificat?.contentType).toBe('application/x-x509-ca-cert');
  });

  it('accepts header and parameter names in any case', () => {
    const { contentType, text } = numUniqueRequest();
    const ct = contentType.replace('start-info', 'Start-Info').replace('boundary', 'BOUNDARY').replace('multipart/related', 'Multipart/Related');
    const body = text.replace(/Content-ID:/g, 'content-id:').replace(/Content-Type:/g, 'CONTENT-TYPE:');
    expect(parseSneRequest(ct, Buffer.from(body)).operation).toBe('getNumUnique');
  });

  it('accepts a start parameter without angle brackets', () => {
    const { contentType, text } = numUniqueRequest();
    expect(parseSneRequest(contentType.replace('start="<root.test@passerelle>"', 'start="root.test@passerelle"'), Buffer.from(text)).operation).toBe('getNumUnique');
  });
});

describe('parseSneRequest: refuses what the service refuses', () => {
  it('refuses a request without Content-Type, or not multipart/related', () => {
    const { text } = numUniqueRequest();
    expect(refusal(undefined, text).rule).toBe('contentType.missing');
    expect(refusal('application/soap+xml; charset=UTF-8', text).rule).toBe('contentType.type');
  });

  it('checks the type, start, start-info, boundary and action parameters', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType.replace('type="application/xop+xml"', 'type="text/xml"'), text).rule).toBe('contentType.typeParam');
    expect(refusal(contentType.replace(' start="<root.test@passerelle>";', ''), text).rule).toBe('contentType.start');
    expect(refusal(contentType.replace('start-info="application/soap+xml"', 'start-info="text/xml"'), text).rule).toBe('contentType.startInfo');
    expect(refusal(contentType.replace(' boundary="MIMEBoundary_test";', ''), text).rule).toBe('contentType.boundary');
    expect(refusal(contentType.replace(/; action="[^"]+"/, ''), text).rule).toBe('contentType.action');
    const wrongAction = refusal(contentType.replace('getNumUnique', 'getDoublons'), text);
    expect(wrongAction).toMatchObject({ rule: 'contentType.action', path: 'Content-Type' });
    expect(wrongAction.message).toContain('http://ws.metier.nuu.application.i2/getNumUnique');
  });

  it('refuses a start parameter that names no part', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType.replace('<root.test@passerelle>', '<other@passerelle>'), text).rule).toBe('root.missing');
  });

  it('checks the root part type, its charset and its type parameter', () => {
    const { contentType, text } = numUniqueRequest();
    const root = 'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"';
    expect(refusal(contentType, text.replace(root, 'Content-Type: application/soap+xml; charset=UTF-8')).rule).toBe('root.type');
    expect(refusal(contentType, text.replace(root, 'Content-Type: application/xop+xml; type="application/soap+xml"')).rule).toBe('root.charset');
    expect(refusal(contentType, text.replace(root, 'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"')).rule).toBe('root.typeParam');
  });

  it('refuses a SOAP 1.1 envelope', () => {
    const { contentType, text } = numUniqueRequest();
    const issue = refusal(contentType, text.replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'));
    expect(issue.rule).toBe('envelope.namespace');
    expect(issue.message).toContain('SOAP 1.1');
  });

  it('refuses an operation element outside the service namespace or unknown', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType, text.replace('xmlns:ws="http://ws.metier.nuu.application.i2/"', 'xmlns:ws="http://example.org/"')).rule).toBe(
      'operation.namespace',
    );
    expect(refusal(contentType, text.replace(/numUniqueParametres/g, 'autreParametres')).rule).toBe('operation.unknown');
  });

  it('refuses children in another order, naming the expected order', () => {
    const { contentType, text } = numUniqueRequest();
    const swapped = text.replace(
      /( {6}<nomFichierDemande>.*<\/nomFichierDemande>)\r\n( {6}<fichierDemande .*<\/fichierDemande>)/,
      '$2\r\n$1',
    );
    const issue = refusal(contentType, swapped);
    expect(issue.rule).toBe('children.order');
    expect(issue.path).toBe('Envelope/Body/numUniqueParametres/fichierDemande');
    expect(issue.message).toContain('nomFichierDemande, fichierDemande, nomCertificat, certificat');
  });

  it('refuses a missing child, an extra child and an unexpected one', () => {
    const { contentType, text } = numUniqueRequest();
    const missing = refusal(contentType, text.replace(/ {6}<nomCertificat>.*<\/nomCertificat>\r\n/, ''));
    expect(missing.rule).toBe('children.order');
    const extra = refusal(contentType, text.replace('    </ws:numUniqueParametres>', '      <commentaire>x</commentaire>\r\n    </ws:numUniqueParametres>'));
    expect(extra).toMatchObject({ rule: 'children.unexpected', path: 'Envelope/Body/numUniqueParametres/commentaire' });
    const r = buildSneRequest(INPUTS.getDemandeLogement as SneRequestInput, { ids: FIXED_IDS });
    const gone = refusal(r.contentType, r.body.toString('utf8').replace(/ {6}<certificat .*<\/certificat>\r\n/, ''));
    expect(gone).toMatchObject({ rule: 'children.missing', path: 'Envelope/Body/demandeLogementParametres/certificat' });
  });

  it('refuses a child in a namespace: children are unqualified', () => {
    const { contentType, text } = numUniqueRequest();
    const issue = refusal(contentType, text.replace(/<(\/?)nomFichierDemande>/g, '<$1ws:nomFichierDemande>'));
    expect(issue).toMatchObject({ rule: 'children.qualified', path: 'Envelope/Body/numUniqueParametres/nomFichierDemande' });
  });

  it('refuses an xop:Include that does not directly follow the opening tag on the same line', () => {
    const { contentType, text } = numUniqueRequest();
    const onNextLine = text.replace('<fichierDemande ws:contentType="text/xml"><xop:Include', '<fichierDemande ws:contentType="text/xml">\r\n        <xop:Include');
    const issue = refusal(contentType, onNextLine);
    expect(issue.rule).toBe('xop.placement');
    expect(issue.path).toBe('Envelope/Body/numUniqueParametres/fichierDemande');
    expect(issue.message).toMatch(/same line \(line 6, column 49\)/);
    const afterSpace = text.replace('<certificat ws:contentType="application/x-x509-ca-cert"><xop:Include', '<certificat ws:contentType="application/x-x509-ca-cert"> <xop:Include');
    expect(refusal(contentType, afterSpace).rule).toBe('xop.placement');
  });

  it('refuses a binary child without xop:Include, with inline content, or with a wrong contentType', () => {
    const { contentType, text } = numUniqueRequest();
    const inline = text.replace(/<fichierDemande ws:contentType="text\/xml">.*<\/fichierDemande>/, '<fichierDemande ws:contentType="text/xml">PGE+</fichierDemande>');
    expect(refusal(contentType, inline).rule).toBe('xop.missing');
    expect(refusal(contentType, text.replace('ws:contentType="text/xml"', 'contentType="text/xml"')).rule).toBe('attachment.contentType');
    expect(refusal(contentType, text.replace('ws:contentType="application/x-x509-ca-cert"', 'ws:contentType="application/pkix-cert"')).rule).toBe(
      'attachment.contentType',
    );
  });

  it('refuses an xop:Include pointing at no part, and a part of the wrong type', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType, text.replace('href="cid:fichierDemande.test@passerelle"', 'href="cid:nowhere@passerelle"')).rule).toBe('xop.unresolved');
    expect(refusal(contentType, text.replace('href="cid:fichierDemande.test@passerelle"', 'href="http://example.org/x"')).rule).toBe('xop.href');
    const wrongType = text.replace('Content-Type: text/xml; charset=UTF-8', 'Content-Type: application/json');
    expect(refusal(contentType, wrongType)).toMatchObject({ rule: 'part.contentType', path: 'part 2' });
  });

  it('refuses bare LF line ends in the multipart', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType, text.replace(/\r\n/g, '\n')).rule).toBe('multipart.crlf');
  });

  it('refuses a truncated message: missing closing boundary', () => {
    const { contentType, text } = numUniqueRequest();
    const issue = refusal(contentType, text.slice(0, text.indexOf('--MIMEBoundary_test--')));
    expect(issue.rule).toBe('multipart.truncated');
    expect(issue.message).toContain('missing closing boundary');
    expect(refusal(contentType, text.slice(0, 200)).rule).toBe('multipart.truncated');
  });

  it('refuses a DOCTYPE in the envelope (no DTD, no entity expansion)', () => {
    const { contentType, text } = numUniqueRequest();
    const bomb = text.replace('<soap:Envelope', '<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\r\n<soap:Envelope');
    expect(refusal(contentType, bomb).rule).toBe('xml.doctype.forbidden');
    const entity = text.replace('DEMG1226-201701131455-000001.xml</nomFichierDemande>', '&ext;</nomFichierDemande>');
    expect(refusal(contentType, entity).rule).toBe('xml.entity.undeclared');
  });

  it('refuses malformed XML with its line and column', () => {
    const { contentType, text } = numUniqueRequest();
    const issue = refusal(contentType, text.replace('</nomCertificat>', '</nomCertificats>'));
    expect(issue.rule).toBe('xml.tag.mismatch');
    expect(issue.message).toMatch(/line 7, column 47/);
  });

  it('refuses a root part that is not UTF-8', () => {
    const { contentType, text } = numUniqueRequest();
    const latin1 = Buffer.from(text.replace('<nomCertificat>', '<nomCertificat>é'), 'latin1');
    expect(refusal(contentType, latin1).rule).toBe('encoding.utf8');
  });

  it('refuses a body over the size limit', () => {
    const { contentType, text } = numUniqueRequest();
    expect(refusal(contentType, text, { maxBytes: 100 }).rule).toBe('request.size');
  });

  it('checks value formats unless told not to', () => {
    const r = buildSneRequest(INPUTS.getNouveauxDaloDepuisLe as SneRequestInput, { ids: FIXED_IDS });
    const text = r.body.toString('utf8').replace('CERG1226-201701131455.pem', 'certificat.pem').replace('2017-01-13T14:55:43.5+01:00', '13/01/2017');
    let error: unknown;
    try {
      parseSneRequest(r.contentType, Buffer.from(text));
    } catch (e) {
      error = e;
    }
    expect((error as ValidationError).issues.map((i) => i.rule)).toEqual(['dateNouveauDaloDepuisLe.format', 'nomCertificat.format']);
    const lenient = parseSneRequest(r.contentType, Buffer.from(text), { checkValues: false });
    expect(lenient.input).toMatchObject({ nomCertificat: 'certificat.pem', dateNouveauDaloDepuisLe: '13/01/2017' });
  });
});
