/**
 * The SNE client on answers crafted with the wire layer's builders (a bare HTTP server on loopback plays
 * the service): what it sends, how it reads each kind of answer, and its pure helpers (blocks, file
 * counter, duplicates list).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterfaceNuuCodec, loadElementTable } from '../../../src/codec';
import { GatewayError } from '../../../src/errors';
import { generateDemande } from '../../../src/synthetic';
import {
  createClockFileCounter,
  createSneClient,
  defaultAnomalyTablePath,
  insertBlocks,
  parseListeDoublons,
  PLACEHOLDER_CERTIFICATE,
  type SneClient,
} from '../../../src/systems/sne';
import { buildSneFaultResponse, buildSneResponse, loadAnomalyTable, parseSneRequest, type SneRequestInput } from '../../../src/systems/sne/wire';

const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
const anomalyTable = loadAnomalyTable(defaultAnomalyTablePath);
const NOW = new Date('2025-03-14T09:41:07.250Z');

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('the call succeeded');
}

function doc(inner: string): string {
  return `<interfaceNuu xmlns="http://nuu.application.i2/" versionInterface="02.01"><entete><typeFichier>RET</typeFichier><dateFichier>2025-03-14T10:00:00.0+01:00</dateFichier></entete><demande><demandeLogement>${inner}</demandeLogement></demande></interfaceNuu>`;
}

function anomalyDoc(...codes: string[]): string {
  return doc(`<listeAnomalie>${codes.map((c) => `<anomalie code="${c}">champ: règle</anomalie>`).join('')}</listeAnomalie>`);
}

describe('the SNE client (answers crafted)', () => {
  let client: SneClient;
  let seen: SneRequestInput[];
  let server: http.Server;
  const answers: Array<{ payload?: string; fault?: string }> = [];

  /** Answers the next request with `payload` (a document), an empty answer, or a fault. */
  function answerWith(answer: { payload?: string; fault?: string }): void {
    answers.push(answer);
  }

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const parsed = parseSneRequest(req.headers['content-type'], Buffer.concat(chunks));
        seen.push(parsed.input);
        const answer = answers.shift() ?? {};
        const built = answer.fault
          ? buildSneFaultResponse({ code: 'Sender', reason: answer.fault })
          : buildSneResponse({ operation: parsed.operation, ...(answer.payload === undefined ? {} : { payload: answer.payload }) });
        res.writeHead(built.status, { 'Content-Type': built.contentType });
        res.end(built.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  });
  beforeEach(() => {
    seen = [];
    answers.length = 0;
    client = createSneClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      guichet: 'G0123',
      timeoutMs: 5000,
      interfaceVersion: '02.01',
      codec,
      anomalyTable,
      clock: () => NOW,
    });
  });
  afterEach(async () => {
    await client.close();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends a creation as a DEM<guichet>-<minute>-<counter>.xml file with the certificate part and returns the numéro unique', async () => {
    const demande = generateDemande(5, 2, { mode: 'creation' });
    const registered = { ...demande, numUnique: '035032500004G0123' };
    answerWith({ payload: codec.build({ versionInterface: '02.01', entete: { typeFichier: 'CRE', dateFichier: '2025-03-14T10:41:07.25+01:00' }, demandes: [registered] }) });
    const result = await client.submit({ typeFichier: 'CRE', demande });
    expect(result).toEqual({ numUnique: '035032500004G0123', demande: registered, anomalies: [] });
    const sent = seen[0] as Extract<SneRequestInput, { operation: 'getNumUnique' }>;
    expect(sent.nomFichierDemande).toMatch(/^DEMG0123-202503141041-\d{6}\.xml$/);
    expect(sent.nomCertificat).toBe('CERG0123-202503141041.pem');
    expect(String(sent.certificat)).toBe(PLACEHOLDER_CERTIFICATE);
    const file = codec.parse(Buffer.from(sent.fichierDemande));
    expect(file.entete).toEqual({ typeFichier: 'CRE', dateFichier: '2025-03-14T10:41:07.25+01:00' });
    expect(file.demandes[0]).toMatchObject({ ok: true, demande });
  });

  it('reads an anomaly as a permanent SNE_ANOMALY with its code, and a retryable one as transient', async () => {
    const demande = generateDemande(5, 3);
    answerWith({ payload: anomalyDoc('CTRL_DEM_0030') });
    const e = await rejection(client.submit({ typeFichier: 'MOD', demande }));
    expect(e).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'permanent' });
    expect(e.details.codes).toEqual(['CTRL_DEM_0030']);
    expect(JSON.stringify(e.toJSON())).not.toContain('règle');
    answerWith({ payload: anomalyDoc('CTRL_DEM_0090') });
    expect(await rejection(client.submit({ typeFichier: 'MOD', demande }))).toMatchObject({ code: 'SNE_ANOMALY', errorClass: 'transient' });
  });

  it('refuses before sending a modification without numéro unique', async () => {
    const e = await rejection(client.submit({ typeFichier: 'MOD', demande: generateDemande(5, 4, { mode: 'creation' }) }));
    expect(e).toMatchObject({ code: 'SNE_REQUEST_INVALID', errorClass: 'permanent' });
    expect(seen).toHaveLength(0);
  });

  it('calls a creation answered without numéro unique ambiguous: it may have been registered', async () => {
    answerWith({ payload: doc('<numGuichet>G0123</numGuichet>') });
    const e = await rejection(client.submit({ typeFichier: 'CRE', demande: generateDemande(5, 5, { mode: 'creation' }) }));
    expect(e).toMatchObject({ code: 'SNE_NO_NUM_UNIQUE', errorClass: 'ambiguous' });
  });

  it('calls a duplicates list given to a write ambiguous, and to a read transient', async () => {
    answerWith({ payload: '<listeDoublons xmlns="http://nuu.application.i2/"/>' });
    expect(await rejection(client.submit({ typeFichier: 'MOD', demande: generateDemande(5, 6) }))).toMatchObject({ errorClass: 'ambiguous' });
    answerWith({ payload: '<listeDoublons xmlns="http://nuu.application.i2/"/>' });
    expect(await rejection(client.getDemande('035032500004G0123'))).toMatchObject({ errorClass: 'transient' });
  });

  it('reads "unknown numéro unique" (CTRL_DEM_0020) and an empty answer as null on getDemandeLogement', async () => {
    answerWith({ payload: anomalyDoc('CTRL_DEM_0020') });
    expect(await client.getDemande('035032500004G0123')).toBeNull();
    answerWith({});
    expect(await client.getDemande('035032500004G0123')).toBeNull();
    answerWith({ payload: anomalyDoc('CTRL_DEM_0020', 'CTRL_DEM_0099') });
    expect(await rejection(client.getDemande('035032500004G0123'))).toMatchObject({ code: 'SNE_ANOMALY' });
  });

  it('returns a demand of a read as the codec reads it, quarantined when invalid', async () => {
    const d = generateDemande(5, 7);
    answerWith({ payload: codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-14T10:00:00.0+01:00' }, demandes: [d] }) });
    expect(await client.getDemande(d.numUnique as string)).toMatchObject({ ok: true, demande: d });
    answerWith({ payload: doc(`<numUnique>${d.numUnique}</numUnique><numGuichet>G0123</numGuichet>`) });
    expect(await client.getDemande(d.numUnique as string)).toMatchObject({ ok: false, numUnique: d.numUnique });
  });

  it('sends the "since" date in the SNE format and dates its answer from before the call', async () => {
    const ds = [generateDemande(5, 8), generateDemande(5, 9)];
    answerWith({ payload: codec.build({ versionInterface: '02.01', entete: { typeFichier: 'DIS', dateFichier: '2025-03-14T10:00:00.0+01:00' }, demandes: ds }) });
    const answer = await client.radieesDepuis(new Date('2025-01-13T13:55:43.500Z'));
    expect(answer.requestedAt).toEqual(NOW);
    expect(answer.demandes.map((r) => r.ok && r.demande.numUnique)).toEqual(ds.map((d) => d.numUnique));
    expect(seen[0]).toMatchObject({ operation: 'getDemandesRadieesDepuisLe', dateRadiationDepuisLe: '2025-01-13T14:55:43.5+01:00' });
    answerWith({});
    expect((await client.nouveauxDaloDepuis(new Date('2025-01-13T13:55:43.500Z'))).demandes).toEqual([]);
    expect(seen[1]).toMatchObject({ operation: 'getNouveauxDaloDepuisLe', dateNouveauDaloDepuisLe: '2025-01-13T14:55:43.5+01:00' });
  });

  it('reads a SOAP fault as permanent with the fault code', async () => {
    answerWith({ fault: 'Une erreur inattendue est survenue lors du traitement de la demande' });
    expect(await rejection(client.doublons(generateDemande(5, 10)))).toMatchObject({ code: 'SNE_SOAP_FAULT', errorClass: 'permanent' });
  });
});

describe('insertBlocks', () => {
  const xml = codec.build({ versionInterface: '02.01', entete: { typeFichier: 'MOD', dateFichier: '2025-03-14T10:00:00.0+01:00' }, demandes: [generateDemande(5, 11)] });
  const blocks = [
    { name: 'decisionCal', children: [{ name: 'typeDecision', attributes: { code: 'B' } }, { name: 'rang', text: '2' }, { name: 'motif', text: 'a < b & "c"' }] },
    { name: 'visite', attributes: { code: 'FAITE' } },
  ];

  it('writes extra blocks before the end of demandeLogement, in the codec layout, the same bytes every time', () => {
    const out = insertBlocks(xml, blocks);
    expect(out).toBe(insertBlocks(xml, blocks));
    expect(out).toContain(
      [
        '      <decisionCal>',
        '        <typeDecision code="B"/>',
        '        <rang>2</rang>',
        '        <motif>a &lt; b &amp; "c"</motif>',
        '      </decisionCal>',
        '      <visite code="FAITE"/>',
        '    </demandeLogement>',
      ].join('\n'),
    );
    // The codec still reads the demand, reporting the blocks as elements it does not map.
    const parsed = codec.parse(out);
    expect(parsed.demandes[0]).toMatchObject({ ok: true });
    expect(parsed.demandes[0]!.warnings.map((w) => w.rule)).toContain('unknown-element');
  });

  it('refuses a block whose name is not an XML name, naming the path', () => {
    expect(() => insertBlocks(xml, [{ name: 'bad name' }])).toThrow(/blocks\[0\]\.name/);
    expect(() => insertBlocks(xml, [{ name: 'a', children: [{ name: 'b', text: 'x\u0001' }] }])).toThrow(/blocks\[0\]\.children\[0\]\.text/);
  });
});

describe('createClockFileCounter', () => {
  it('gives increasing values within a minute, starting from the position in the minute', () => {
    let now = new Date('2025-03-14T09:41:30.000Z');
    const counter = createClockFileCounter({ clock: () => now });
    const at = new Date('2025-03-14T09:41:00.000Z');
    const first = counter(at) as number;
    expect(first).toBe(30_000 * 16);
    expect(counter(at)).toBe(first + 1);
    now = new Date('2025-03-14T09:41:45.000Z');
    expect(counter(at)).toBe(45_000 * 16);
  });

  it('never repeats a value of the current minute after a restart, at a realistic rate', () => {
    let now = Date.parse('2025-03-14T09:41:10.000Z');
    const before = createClockFileCounter({ clock: () => new Date(now) });
    const used = new Set<number>();
    for (let i = 0; i < 200; i++) {
      used.add(before(new Date(now)) as number);
      now += 5; // 200 files a second
    }
    now += 1; // the restart takes at least a millisecond
    const after = createClockFileCounter({ clock: () => new Date(now) });
    for (let i = 0; i < 200; i++) {
      expect(used.has(after(new Date(now)) as number)).toBe(false);
      now += 5;
    }
  });

  it('is transient when more than a million files would be named in one minute', () => {
    const counter = createClockFileCounter({ clock: () => new Date('2025-03-14T09:41:59.999Z') });
    const at = new Date('2025-03-14T09:41:00.000Z');
    let last = 0;
    let error: unknown;
    try {
      for (let i = 0; i < 100_000; i++) last = counter(at) as number;
    } catch (e) {
      error = e;
    }
    expect(last).toBe(999_999);
    expect(error).toMatchObject({ code: 'SNE_FILE_COUNTER_EXHAUSTED', errorClass: 'transient' });
  });
});

describe('parseListeDoublons', () => {
  it('reads each doublon with its numéro unique and criteria, whatever the prefix', () => {
    const xml =
      '<ns2:listeDoublons xmlns:ns2="http://nuu.application.i2/"><ns2:doublon><ns2:numUnique>035032500004G0123</ns2:numUnique>' +
      '<ns2:listeCritere><ns2:critere code="NOM"/><ns2:critere>DATE_NAISSANCE</ns2:critere></ns2:listeCritere></ns2:doublon>' +
      '<ns2:doublon><ns2:listeCritere/></ns2:doublon></ns2:listeDoublons>';
    expect(parseListeDoublons(xml)).toEqual([{ numUnique: '035032500004G0123', criteres: ['NOM', 'DATE_NAISSANCE'] }]);
  });
});
