import { buildSneRequest, formatSneDateTime, type SneRequestInput } from '../../../src/systems/sne/wire';
import { ValidationError } from '../../../src/errors';
import { CERT_PEM, DEMANDE_XML, FIXED_IDS, crlf } from './samples';

const ENV_OPEN = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ws="http://ws.metier.nuu.application.i2/">';
const XOP = 'xmlns:xop="http://www.w3.org/2004/08/xop/include"';
const ROOT_PART_HEAD = [
  '--MIMEBoundary_test',
  'Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"',
  'Content-Transfer-Encoding: 8bit',
  'Content-ID: <root.test@passerelle>',
  '',
];
const DEMANDE_PART_HEAD = [
  '--MIMEBoundary_test',
  'Content-Type: text/xml; charset=UTF-8',
  'Content-Transfer-Encoding: binary',
  'Content-ID: <fichierDemande.test@passerelle>',
  '',
];
const CERT_PART_HEAD = [
  '--MIMEBoundary_test',
  'Content-Type: application/x-x509-ca-cert',
  'Content-Transfer-Encoding: binary',
  'Content-ID: <certificat.test@passerelle>',
  '',
];
const FICHIER_LINE = `      <fichierDemande ws:contentType="text/xml"><xop:Include href="cid:fichierDemande.test@passerelle" ${XOP}/></fichierDemande>`;
const CERT_LINE = `      <certificat ws:contentType="application/x-x509-ca-cert"><xop:Include href="cid:certificat.test@passerelle" ${XOP}/></certificat>`;

function contentType(op: string): string {
  return (
    'multipart/related; type="application/xop+xml"; start="<root.test@passerelle>"; start-info="application/soap+xml"; ' +
    `boundary="MIMEBoundary_test"; action="http://ws.metier.nuu.application.i2/${op}"`
  );
}

function envelope(element: string, children: string[]): string {
  return crlf(ENV_OPEN, '  <soap:Header/>', '  <soap:Body>', `    <ws:${element}>`, ...children, `    </ws:${element}>`, '  </soap:Body>', '</soap:Envelope>');
}

function expectBytes(input: SneRequestInput, expectedBody: string): void {
  const req = buildSneRequest(input, { ids: FIXED_IDS });
  expect(req.body.toString('utf8')).toBe(expectedBody);
  expect(req.contentType).toBe(contentType(input.operation));
  expect(req.action).toBe(`http://ws.metier.nuu.application.i2/${input.operation}`);
  expect(req.headers).toEqual({
    'Content-Type': contentType(input.operation),
    'MIME-Version': '1.0',
    'Content-Length': String(Buffer.byteLength(expectedBody, 'utf8')),
  });
}

describe('buildSneRequest: exact bytes of every operation', () => {
  it('builds getNumUnique with the demand file and the certificate as XOP parts', () => {
    expectBytes(
      {
        operation: 'getNumUnique',
        nomFichierDemande: 'DEMG1226-201701131455-000001.xml',
        fichierDemande: DEMANDE_XML,
        nomCertificat: 'CERG1226-201701131455.pem',
        certificat: CERT_PEM,
      },
      crlf(
        ...ROOT_PART_HEAD,
        envelope('numUniqueParametres', [
          '      <nomFichierDemande>DEMG1226-201701131455-000001.xml</nomFichierDemande>',
          FICHIER_LINE,
          '      <nomCertificat>CERG1226-201701131455.pem</nomCertificat>',
          CERT_LINE,
        ]),
        ...DEMANDE_PART_HEAD,
        DEMANDE_XML,
        ...CERT_PART_HEAD,
        CERT_PEM,
        '--MIMEBoundary_test--',
        '',
      ),
    );
  });

  it('builds getDemandeLogement with numUnique then the certificate', () => {
    expectBytes(
      { operation: 'getDemandeLogement', numUnique: '1110318016982G1104', nomCertificat: 'CERG1226-201701131455.pem', certificat: CERT_PEM },
      crlf(
        ...ROOT_PART_HEAD,
        envelope('demandeLogementParametres', [
          '      <numUnique>1110318016982G1104</numUnique>',
          '      <nomCertificat>CERG1226-201701131455.pem</nomCertificat>',
          CERT_LINE,
        ]),
        ...CERT_PART_HEAD,
        CERT_PEM,
        '--MIMEBoundary_test--',
        '',
      ),
    );
  });

  it('builds getDoublons with the partial demand file and no certificate', () => {
    expectBytes(
      { operation: 'getDoublons', nomFichierDemande: 'DEMG1226-201701131455-000002.xml', fichierDemande: Buffer.from(DEMANDE_XML, 'utf8') },
      crlf(
        ...ROOT_PART_HEAD,
        envelope('rechercheDoublonsParametres', ['      <nomFichierDemande>DEMG1226-201701131455-000002.xml</nomFichierDemande>', FICHIER_LINE]),
        ...DEMANDE_PART_HEAD,
        DEMANDE_XML,
        '--MIMEBoundary_test--',
        '',
      ),
    );
  });

  it('builds getNouveauxDaloDepuisLe with the date-time in the SNE format', () => {
    expectBytes(
      {
        operation: 'getNouveauxDaloDepuisLe',
        dateNouveauDaloDepuisLe: '2017-01-13T14:55:43.5+02:00',
        nomCertificat: 'CERG1226-201701131455.pem',
        certificat: CERT_PEM,
      },
      crlf(
        ...ROOT_PART_HEAD,
        envelope('nouveauxDaloDepuisLeParametres', [
          '      <dateNouveauDaloDepuisLe>2017-01-13T14:55:43.5+02:00</dateNouveauDaloDepuisLe>',
          '      <nomCertificat>CERG1226-201701131455.pem</nomCertificat>',
          CERT_LINE,
        ]),
        ...CERT_PART_HEAD,
        CERT_PEM,
        '--MIMEBoundary_test--',
        '',
      ),
    );
  });

  it('builds getDemandesRadieesDepuisLe, formatting a Date given as input', () => {
    const since = new Date('2017-06-13T12:55:43.500Z');
    expect(formatSneDateTime(since)).toBe('2017-06-13T14:55:43.5+02:00');
    expectBytes(
      { operation: 'getDemandesRadieesDepuisLe', dateRadiationDepuisLe: since, nomCertificat: 'CERG1226-201701131455.pem', certificat: CERT_PEM },
      crlf(
        ...ROOT_PART_HEAD,
        envelope('demandesRadieesDepuisLeParametres', [
          '      <dateRadiationDepuisLe>2017-06-13T14:55:43.5+02:00</dateRadiationDepuisLe>',
          '      <nomCertificat>CERG1226-201701131455.pem</nomCertificat>',
          CERT_LINE,
        ]),
        ...CERT_PART_HEAD,
        CERT_PEM,
        '--MIMEBoundary_test--',
        '',
      ),
    );
  });
});

describe('buildSneRequest: layout rules', () => {
  const numUnique: SneRequestInput = {
    operation: 'getNumUnique',
    nomFichierDemande: 'DEMG1226-201701131455-000001.xml',
    fichierDemande: DEMANDE_XML,
    nomCertificat: 'CERG1226-201701131455.pem',
    certificat: CERT_PEM,
  };

  it('glues each xop:Include to the opening tag of its element, on the same line', () => {
    const text = buildSneRequest(numUnique).body.toString('utf8');
    expect(text).toMatch(/<fichierDemande ws:contentType="text\/xml"><xop:Include href="cid:[^"]+" xmlns:xop="[^"]+"\/><\/fichierDemande>\r\n/);
    expect(text).toMatch(/<certificat ws:contentType="application\/x-x509-ca-cert"><xop:Include /);
  });

  it('ends every MIME and envelope line with CRLF and never with a bare LF', () => {
    const text = buildSneRequest({ operation: 'getDemandeLogement', numUnique: 'A1', nomCertificat: 'CERG1-201701131455.pem', certificat: 'X' }).body.toString('utf8');
    expect(text).not.toMatch(/[^\r]\n/);
  });

  it('derives the same boundary and ids from the same content, and others from other content', () => {
    const a = buildSneRequest(numUnique);
    const b = buildSneRequest({ ...numUnique });
    const c = buildSneRequest({ ...numUnique, fichierDemande: DEMANDE_XML.replace('Zoé', 'Zoë') });
    expect(b.body.equals(a.body)).toBe(true);
    expect(a.ids.boundary).toMatch(/^MIMEBoundary_[0-9a-f]{32}$/);
    expect(a.ids.root).toMatch(/^root\.[0-9a-f]{16}@passerelle$/);
    expect(c.ids.boundary).not.toBe(a.ids.boundary);
    expect(a.contentType).toContain(`start="<${a.ids.root}>"`);
    expect(a.contentType).toContain(`boundary="${a.ids.boundary}"`);
  });

  it('escapes XML special characters in text values', () => {
    const req = buildSneRequest({ operation: 'getDemandeLogement', numUnique: 'A&B<C>1', nomCertificat: 'CERG1-201701131455.pem', certificat: 'X' });
    expect(req.body.toString('utf8')).toContain('<numUnique>A&amp;B&lt;C&gt;1</numUnique>');
  });

  it('carries the demand file byte for byte, accents and LF line ends included', () => {
    const text = buildSneRequest(numUnique, { ids: FIXED_IDS }).body.toString('utf8');
    expect(text).toContain(`Content-ID: <fichierDemande.test@passerelle>\r\n\r\n${DEMANDE_XML}\r\n--MIMEBoundary_test\r\n`);
  });

  it('refuses a given boundary that occurs inside a part', () => {
    const xml = `${DEMANDE_XML}<!-- --MIMEBoundary_test -->`;
    expect(() => buildSneRequest({ ...numUnique, fichierDemande: xml }, { ids: FIXED_IDS })).toThrow(/boundary occurs inside a part/);
  });

  it('lists every bad value by field and rule without quoting the values', () => {
    let error: unknown;
    try {
      buildSneRequest({
        operation: 'getNumUnique',
        nomFichierDemande: 'demande-Dupont.xml',
        fichierDemande: '',
        nomCertificat: 'cert.pem',
        certificat: CERT_PEM,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.code).toBe('SNE_REQUEST_INVALID');
    expect(v.errorClass).toBe('permanent');
    expect(v.issues.map((i) => i.rule)).toEqual(['nomFichierDemande.format', 'fichierDemande.required', 'nomCertificat.format']);
    expect(JSON.stringify(v.toJSON())).not.toContain('Dupont');
  });

  it('refuses a date-time without offset or fraction, and a numUnique longer than 18 characters', () => {
    const cert = { nomCertificat: 'CERG1-201701131455.pem', certificat: 'X' };
    expect(() => buildSneRequest({ operation: 'getNouveauxDaloDepuisLe', dateNouveauDaloDepuisLe: '2017-01-13T14:55:43', ...cert })).toThrow(
      /dateNouveauDaloDepuisLe/,
    );
    expect(() => buildSneRequest({ operation: 'getDemandeLogement', numUnique: '1110318016982G11049', ...cert })).toThrow(/numUnique/);
    expect(() => buildSneRequest({ operation: 'getDemandeLogement', numUnique: '', ...cert })).toThrow(/numUnique is required/);
  });

  it('refuses malformed ids given by the caller', () => {
    expect(() => buildSneRequest(numUnique, { ids: { boundary: 'has space' } })).toThrow(/boundary/);
    expect(() => buildSneRequest(numUnique, { ids: { root: '<root@x>' } })).toThrow(/Content-ID/);
  });
});
