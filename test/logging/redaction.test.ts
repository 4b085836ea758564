import { Writable } from 'node:stream';
import { PermanentError, TransientError, ValidationError } from '../../src/errors';
import { captureLogs, createLogger, redactUrl, scrubText, type Logger } from '../../src/logging';

// A synthetic demand: every personal value below is invented, and none may reach a log line.
const personal = {
  nom: 'Lefèvre-Nguyễn',
  prenom: 'Éloïse',
  dateNaissance: '1985-02-28',
  mel: 'eloise.lefevre-nguyen@example.org',
  telPortable: '0612345678',
  adresse: '12 rue des Glycines',
  montantRevenu: 23456,
  nir: '285027512345678',
};
const PERSONAL_VALUES = [
  personal.nom,
  personal.prenom,
  personal.dateNaissance,
  personal.mel,
  personal.telPortable,
  personal.adresse,
  String(personal.montantRevenu),
  personal.nir,
  'Glycines',
  'Éloïse',
  'Nguy',
];
const demande = {
  numUnique: '0351125000123G0123',
  demandeur: {
    civilite: { code: '2' },
    nom: personal.nom,
    prenom: personal.prenom,
    dateNaissance: personal.dateNaissance,
    mel: personal.mel,
    telPortable: personal.telPortable,
    adressePostale: { voie: personal.adresse, codePostal: '35000' },
    revenuFiscal: { montantMoins1: personal.montantRevenu },
    nir: personal.nir,
  },
};
const ids = { runId: 'run-20250101-0001', jobId: 'job-42', numUnique: '0351125000123G0123' };

/** Logs the demand in every way a careless caller could. */
function logEverywhere(logger: Logger): void {
  const job = logger.child({ ...ids, nom: personal.nom });
  // As metadata at the top level, and the whole demand under an unknown key.
  job.info('demand received', { ...personal, demande });
  // Nested under allowed keys.
  job.info('demand state', { status: { nom: personal.nom, ok: true }, state: [demande.demandeur], counts: { [personal.mel]: 1 } });
  // In a foreign error's message, and the error itself as meta.
  job.error('parse failed', { err: new Error(`unexpected value ${personal.nom} ${personal.mel}`) });
  job.error('parse failed', new TypeError(`bad date ${personal.dateNaissance} for ${personal.prenom}`) as never);
  // In a gateway error: its cause and its details.
  const cause = new Error(`SOAP fault for ${personal.nom}, born ${personal.dateNaissance}, tel ${personal.telPortable}`);
  job.error('delivery failed', {
    err: new PermanentError('SNE_FAULT', 'SOAP fault from the SNE', {
      system: 'sne',
      details: { httpStatus: 500, numUnique: ids.numUnique, nom: personal.nom },
      cause,
    }),
  });
  job.warn('retrying', { err: new TransientError('SNE_UNAVAILABLE', 'SNE unavailable', { cause: new TransientError('X', 'y', { cause }) }) });
  // In the messages of a validation error's issues.
  job.warn('record quarantined', {
    err: new ValidationError('DEMANDE_INVALID', [
      { path: 'demandeur.nom', rule: 'max-length', message: `"${personal.nom}" is too long` },
      { path: 'demandeur.mel', rule: 'email', message: `${personal.mel} is not an e-mail address` },
    ]),
  });
  // In an allowed key's string value, and in a class instance.
  job.info('contact', { path: `demandeur.mel=${personal.mel} tel=${personal.telPortable} nir=${personal.nir}` });
  job.info('map', { state: new Map([['nom', personal.nom]]) });
  // In the base of another logger.
  logger.child({ source: 'local', demandeur: demande.demandeur }).info('event', { eventId: 'evt-7' });
}

describe('the redaction layer', () => {
  it.each(['json', 'pretty'] as const)('lets no personal value of a demand through, in %s lines', async (format) => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(c: Buffer, _e, done) {
        chunks.push(c.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug', format, stream });

    logEverywhere(logger);
    await logger.flush();
    const text = chunks.join('');

    for (const value of PERSONAL_VALUES) expect(text).not.toContain(value);
    // ...while the identifiers of the work are all there.
    for (const value of [ids.runId, ids.jobId, ids.numUnique, 'SNE_FAULT', 'SOAP fault from the SNE', 'evt-7', 'demandeur.nom', 'max-length']) {
      expect(text).toContain(value);
    }
  });

  it('keeps identifiers and drops other keys, counting what it dropped', async () => {
    const { logger, entries } = captureLogs();
    logger.child(ids).info('demand received', { ...personal, queue: 'pull', attempt: 2, durationMs: 12 });
    const [entry] = await entries();
    expect(entry).toEqual({
      time: expect.any(String),
      level: 'info',
      message: 'demand received',
      ...ids,
      queue: 'pull',
      attempt: 2,
      durationMs: 12,
      redacted: 8,
    });
  });

  it('renders a gateway error by code, class, message and allowed details, and its causes by name only', async () => {
    const { logger, entries } = captureLogs();
    const cause = Object.assign(new Error(`connect to ${personal.nom}`), { code: 'ECONNREFUSED' });
    logger.error('delivery failed', {
      err: new TransientError('SNE_UNAVAILABLE', 'SNE unavailable', {
        system: 'sne',
        details: { httpStatus: 503, nom: personal.nom },
        retryAfterSeconds: 30,
        cause,
      }),
    });
    const [entry] = await entries();
    expect(entry?.err).toEqual({
      name: 'TransientError',
      code: 'SNE_UNAVAILABLE',
      errorClass: 'transient',
      message: 'SNE unavailable',
      system: 'sne',
      details: { httpStatus: 503, redacted: 1 },
      retryAfterSeconds: 30,
      cause: { name: 'Error', code: 'INTERNAL', errorClass: 'permanent', message: 'unexpected Error', errno: 'ECONNREFUSED' },
    });
  });

  it('renders a validation error as its count and its issues as path and rule', async () => {
    const { logger, entries } = captureLogs();
    logger.warn('quarantined', {
      err: new ValidationError('DEMANDE_INVALID', [{ path: 'demandeur.nom', rule: 'max-length', message: personal.nom }]),
    });
    const [entry] = await entries();
    expect(entry?.err).toMatchObject({
      code: 'DEMANDE_INVALID',
      message: '1 problem(s)',
      issues: [{ path: 'demandeur.nom', rule: 'max-length' }],
    });
  });

  it('removes credentials and query strings from URLs, wherever they appear', async () => {
    const { logger, text } = captureLogs();
    logger.info('calling redis://user:s3cr3t@redis.example:6379/0 now', {
      url: 'https://api:t0ken@local.example/api/demandes?access_token=abc123&nom=Martin#frag',
      target: 'see https://bob:pa55word@sne.example/ws',
    });
    const out = await text();
    for (const secret of ['s3cr3t', 't0ken', 'abc123', 'Martin', 'pa55word', 'frag']) expect(out).not.toContain(secret);
    expect(out).toContain('"url":"https://***@local.example/api/demandes"');
    expect(redactUrl('http://127.0.0.1:7801')).toBe('http://127.0.0.1:7801');
  });

  it('masks e-mails, phone numbers and NIR-like numbers in any text, but not numéros uniques', () => {
    expect(scrubText(`write to ${personal.mel} or call 06 12 34 56 78 / +33 6 12 34 56 78`)).toBe(
      'write to [email] or call [phone] / [phone]',
    );
    expect(scrubText(`nir ${personal.nir} and 2 85 02 2A 123 456 78`)).toBe('nir [nir] and [nir]');
    expect(scrubText('demand 0351125000123G0123 and 1110318016982G1104')).toBe('demand 0351125000123G0123 and 1110318016982G1104');
  });

  it('never throws on odd metadata: cycles, deep nesting, functions, dates, big integers', async () => {
    const { logger, entries } = captureLogs();
    const cyclic: Record<string, unknown> = { code: 'A' };
    cyclic.state = cyclic;
    logger.info('odd', { state: cyclic, at: new Date(0), count: 10n as never, status: () => 1, hash: Symbol('x') as never });
    const [entry] = await entries();
    expect(entry).toMatchObject({ at: '1970-01-01T00:00:00.000Z', count: '10', state: { code: 'A', state: { code: 'A' } } });
    expect(JSON.stringify(entry)).toContain('[depth]');
  });
});
