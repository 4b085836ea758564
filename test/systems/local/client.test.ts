/**
 * The local client's mapping of every answer and failure to the gateway's error classes, on canned
 * HTTP answers (nock). The same client against the real simulator is in client.int.test.ts.
 */
import nock from 'nock';
import { AmbiguousError, GatewayError, PermanentError, TransientError, ValidationError } from '../../../src/errors';
import { createLocalClient, LocalConflictError, LocalErrorCode, type LocalClient } from '../../../src/systems/local';

const BASE = 'http://local.test';
const TOKEN = 'tok-123456';
const NOW = Date.parse('2025-06-01T12:00:00Z');
const record = { numUnique: 'N1', demandeur: { nom: 'Martin-Synthétique' } };

/** A socket error as Node raises it (nock 14 needs an Error instance). */
function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

async function caught(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected a rejection');
}

describe('local client', () => {
  let client: LocalClient;

  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
  });
  // Jest may run another nock-using file in the same worker: leave nock as it was found.
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  });
  beforeEach(() => {
    client = createLocalClient({ baseUrl: `${BASE}/`, token: TOKEN, timeoutMs: 500, now: () => NOW, newEventId: () => 'gen-1' });
  });
  afterEach(() => {
    client.close();
    nock.abortPendingRequests();
    nock.cleanAll();
  });

  describe('putDemande', () => {
    it('creates without If-Match and reports created with the version', async () => {
      const scope = nock(BASE, { badheaders: ['if-match'] })
        .put('/demandes/N1', { record })
        .matchHeader('authorization', `Bearer ${TOKEN}`)
        .matchHeader('content-type', /application\/json/)
        .reply(201, { numUnique: 'N1', version: 1, updatedAt: '2025-06-01T12:00:00Z', outcome: 'created' });
      await expect(client.putDemande('N1', record)).resolves.toEqual({
        outcome: 'created',
        version: 1,
        updatedAt: '2025-06-01T12:00:00Z',
      });
      scope.done();
    });

    it('sends the version as a quoted If-Match and reports updated or unchanged', async () => {
      nock(BASE)
        .put('/demandes/N1')
        .matchHeader('if-match', '"3"')
        .reply(200, { numUnique: 'N1', version: 4, updatedAt: 'x', outcome: 'updated' })
        .put('/demandes/N1')
        .matchHeader('if-match', '*')
        .reply(200, { numUnique: 'N1', version: 4, updatedAt: 'x', outcome: 'unchanged' });
      await expect(client.putDemande('N1', record, { ifMatch: 3 })).resolves.toMatchObject({ outcome: 'updated', version: 4 });
      await expect(client.putDemande('N1', record, { ifMatch: '*' })).resolves.toMatchObject({ outcome: 'unchanged' });
    });

    it('encodes the numUnique in the path', async () => {
      nock(BASE).put('/demandes/A%2FB').reply(201, { numUnique: 'A/B', version: 1, updatedAt: 'x', outcome: 'created' });
      await expect(client.putDemande('A/B', record)).resolves.toMatchObject({ outcome: 'created' });
    });

    it('raises a 409 as a permanent LocalConflictError carrying the current version', async () => {
      nock(BASE).put('/demandes/N1').reply(409, { error: 'conflict', message: 'm', reason: 'version_mismatch', currentVersion: 7 });
      const err = await caught(client.putDemande('N1', record, { ifMatch: 5 }));
      expect(err).toBeInstanceOf(LocalConflictError);
      expect(err).toBeInstanceOf(PermanentError);
      expect(err).toMatchObject({ code: 'LOCAL_CONFLICT', errorClass: 'permanent', currentVersion: 7, reason: 'version_mismatch' });
      expect(err.details).toMatchObject({ currentVersion: 7, status: 409, route: '/demandes/{numUnique}' });
    });

    it('raises a 409 without a readable body as a conflict of unknown version', async () => {
      nock(BASE).put('/demandes/N1').reply(409, 'busy', { 'Content-Type': 'text/plain' });
      const err = await caught(client.putDemande('N1', record));
      expect(err).toMatchObject({ code: 'LOCAL_CONFLICT', currentVersion: null, reason: null });
    });

    it('raises a 422 as a ValidationError LOCAL_REJECTED with the issues', async () => {
      const errors = [
        { path: 'demandeur.dateNaissance', rule: 'iso_date', message: 'must be a date' },
        { path: 'numUnique', rule: 'matches_path', message: 'must match the URL' },
      ];
      nock(BASE).put('/demandes/N1').reply(422, { error: 'invalid_record', message: 'm', errors });
      const err = await caught(client.putDemande('N1', record));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ code: LocalErrorCode.rejected, errorClass: 'permanent', issues: errors });
    });

    it('raises a 401 or 403 as permanent LOCAL_AUTH', async () => {
      nock(BASE).put('/demandes/N1').reply(401, { error: 'unauthorized' }).put('/demandes/N1').reply(403, {});
      for (let i = 0; i < 2; i++) {
        expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_AUTH', errorClass: 'permanent' });
      }
    });

    it('raises a 404 on update as permanent LOCAL_NOT_FOUND', async () => {
      nock(BASE).put('/demandes/N1').reply(404, { error: 'not_found' });
      expect(await caught(client.putDemande('N1', record, { ifMatch: 2 }))).toMatchObject({
        code: 'LOCAL_NOT_FOUND',
        errorClass: 'permanent',
      });
    });

    it('raises a 5xx as transient, keeping Retry-After', async () => {
      nock(BASE)
        .put('/demandes/N1')
        .reply(500, {})
        .put('/demandes/N1')
        .reply(502, 'bad gateway')
        .put('/demandes/N1')
        .reply(503, {}, { 'Retry-After': '120' });
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_SERVER_ERROR', errorClass: 'transient' });
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_SERVER_ERROR', errorClass: 'transient' });
      expect(await caught(client.putDemande('N1', record))).toMatchObject({
        code: 'LOCAL_UNAVAILABLE',
        errorClass: 'transient',
        retryAfterSeconds: 120,
      });
    });

    it('raises a 429 as transient with Retry-After, as seconds or as an HTTP date', async () => {
      nock(BASE)
        .put('/demandes/N1')
        .reply(429, {}, { 'Retry-After': '3' })
        .put('/demandes/N1')
        .reply(429, {}, { 'Retry-After': new Date(NOW + 30_000).toUTCString() });
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_RATE_LIMITED', retryAfterSeconds: 3 });
      const err = await caught(client.putDemande('N1', record));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.retryAfterSeconds).toBe(30);
    });

    it('raises a 504 on a write as ambiguous: the write may have happened', async () => {
      nock(BASE).put('/demandes/N1').reply(504, {});
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_GATEWAY_TIMEOUT', errorClass: 'ambiguous' });
    });

    it('raises a timeout after sending as ambiguous LOCAL_TIMEOUT', async () => {
      nock(BASE).put('/demandes/N1').delay(1_500).reply(200, {});
      const err = await caught(client.putDemande('N1', record));
      expect(err).toBeInstanceOf(AmbiguousError);
      expect(err).toMatchObject({ code: 'LOCAL_TIMEOUT', errorClass: 'ambiguous' });
    });

    it('raises a refused connection as transient LOCAL_UNREACHABLE (nothing was sent)', async () => {
      nock(BASE).put('/demandes/N1').replyWithError(netError('ECONNREFUSED', 'connect ECONNREFUSED'));
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_UNREACHABLE', errorClass: 'transient' });
    });

    it('raises a connection reset on a write as ambiguous LOCAL_CONNECTION_LOST', async () => {
      nock(BASE).put('/demandes/N1').replyWithError(netError('ECONNRESET', 'socket hang up'));
      expect(await caught(client.putDemande('N1', record))).toMatchObject({
        code: 'LOCAL_CONNECTION_LOST',
        errorClass: 'ambiguous',
        details: { networkCode: 'ECONNRESET' },
      });
    });

    it('raises an unreadable or misshapen 2xx answer to a write as ambiguous LOCAL_BAD_RESPONSE', async () => {
      nock(BASE)
        .put('/demandes/N1')
        .reply(200, '{"numUnique":"N1","vers', { 'Content-Type': 'application/json' })
        .put('/demandes/N1')
        .reply(200, { numUnique: 'N1', version: '2', outcome: 'updated' });
      for (let i = 0; i < 2; i++) {
        expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_BAD_RESPONSE', errorClass: 'ambiguous' });
      }
    });

    it('raises a TLS refusal as permanent LOCAL_TLS (a configuration problem)', async () => {
      nock(BASE).put('/demandes/N1').replyWithError(netError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed'));
      expect(await caught(client.putDemande('N1', record))).toMatchObject({ code: 'LOCAL_TLS', errorClass: 'permanent' });
    });

    it('keeps only a small safe shape: no token, no URL, no body, no foreign message', async () => {
      nock(BASE)
        .put('/demandes/N1')
        .reply(500, { echo: record.demandeur.nom })
        .put('/demandes/N1')
        .replyWithError(netError('ECONNRESET', `failed for ${record.demandeur.nom} at ${BASE}/demandes/N1`));
      for (let i = 0; i < 2; i++) {
        const err = await caught(client.putDemande('N1', record));
        const shown = JSON.stringify({ json: err.toJSON(), message: err.message, stack: err.stack, cause: err.cause });
        expect(shown).not.toContain(TOKEN);
        expect(shown).not.toContain('Martin');
        expect(shown).not.toContain('/demandes/N1');
        expect(shown).not.toContain('local.test');
        expect(err.cause).toBeUndefined();
        expect(err.code).toBe(i === 0 ? 'LOCAL_SERVER_ERROR' : 'LOCAL_CONNECTION_LOST');
        expect(Object.keys(err.details).sort()).toEqual(i === 0 ? ['method', 'route', 'status'] : ['method', 'networkCode', 'route']);
      }
    });
  });

  describe('reads', () => {
    it('returns a demand, or null on 404', async () => {
      const stored = { numUnique: 'N1', version: 2, updatedAt: 'x', record };
      nock(BASE).get('/demandes/N1').reply(200, stored).get('/demandes/N2').reply(404, { error: 'not_found' });
      await expect(client.getDemande('N1')).resolves.toEqual(stored);
      await expect(client.getDemande('N2')).resolves.toBeNull();
    });

    it('raises failures of a read as transient, never ambiguous', async () => {
      nock(BASE)
        .get('/demandes/N1')
        .delay(1_500)
        .reply(200, {})
        .get('/demandes/N1')
        .replyWithError(netError('ECONNRESET', 'x'))
        .get('/demandes/N1')
        .reply(504, {})
        .get('/demandes/N1')
        .reply(200, 'not json');
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const err = await caught(client.getDemande('N1'));
        expect(err.errorClass).toBe('transient');
        codes.push(err.code);
      }
      expect(codes).toEqual(['LOCAL_TIMEOUT', 'LOCAL_CONNECTION_LOST', 'LOCAL_GATEWAY_TIMEOUT', 'LOCAL_BAD_RESPONSE']);
    });

    it('raises a 401 on a read as permanent LOCAL_AUTH and a 400 as LOCAL_BAD_REQUEST', async () => {
      nock(BASE).get('/demandes').query(true).reply(401, {}).get('/demandes').query(true).reply(400, { error: 'invalid_cursor' });
      expect(await caught(client.listDemandes())).toMatchObject({ code: 'LOCAL_AUTH', errorClass: 'permanent' });
      expect(await caught(client.listDemandes({ cursor: 'zz' }))).toMatchObject({ code: 'LOCAL_BAD_REQUEST', errorClass: 'permanent' });
    });

    it('exports every page by following nextCursor until it is null', async () => {
      const item = (n: string) => ({ numUnique: n, version: 1, updatedAt: 'x', record: { numUnique: n } });
      nock(BASE)
        .get('/demandes')
        .query({ limit: '2' })
        .reply(200, { items: [item('A'), item('B')], nextCursor: 'c1' })
        .get('/demandes')
        .query({ limit: '2', cursor: 'c1' })
        .reply(200, { items: [item('C'), item('D')], nextCursor: 'c2' })
        .get('/demandes')
        .query({ limit: '2', cursor: 'c2' })
        .reply(200, { items: [item('E')], nextCursor: null });
      const pages: string[][] = [];
      for await (const page of client.exportAll({ pageSize: 2 })) pages.push(page.items.map((i) => i.numUnique));
      expect(pages).toEqual([['A', 'B'], ['C', 'D'], ['E']]);
    });

    it('stops an export that gives the same cursor twice instead of looping forever', async () => {
      nock(BASE)
        .get('/demandes')
        .query(true)
        .reply(200, { items: [], nextCursor: 'same' })
        .get('/demandes')
        .query({ cursor: 'same' })
        .reply(200, { items: [], nextCursor: 'same' });
      const run = async () => {
        for await (const _ of client.exportAll()) void _;
      };
      expect(await caught(run())).toMatchObject({ code: 'LOCAL_BAD_CURSOR', errorClass: 'permanent' });
    });
  });

  describe('events and acknowledgements', () => {
    const ev = { numUnique: 'N1', type: 'RADIATION', occurredAt: '2025-06-01T10:00:00Z', payload: { motif: 'ATTRIBUTION' } };
    const stored = (id: string, seq: number) => ({ ...ev, id, seq, recordedAt: 'x' });

    it('reads the feed after a seq', async () => {
      nock(BASE).get('/evenements').query({ after: '4', limit: '10' }).reply(200, { items: [stored('e5', 5)], nextAfter: 5 });
      await expect(client.listEvenements({ after: 4, limit: 10 })).resolves.toEqual({ items: [stored('e5', 5)], nextAfter: 5 });
    });

    it('gives an event without id a generated one before sending, so a resend is harmless', async () => {
      nock(BASE)
        .post('/evenements', { ...ev, id: 'gen-1' })
        .reply(201, stored('gen-1', 1))
        .post('/evenements', { ...ev, id: 'gen-1' })
        .reply(200, stored('gen-1', 1));
      await expect(client.postEvenement(ev)).resolves.toEqual({ evenement: stored('gen-1', 1), created: true });
      await expect(client.postEvenement({ ...ev, id: 'gen-1' })).resolves.toMatchObject({ created: false });
    });

    it('raises a timeout of an event post as ambiguous and a 422 as LOCAL_REJECTED', async () => {
      nock(BASE)
        .post('/evenements')
        .delay(1_500)
        .reply(201, {})
        .post('/evenements')
        .reply(422, { errors: [{ path: 'type', rule: 'too_big', message: 'too long' }] });
      expect(await caught(client.postEvenement(ev))).toMatchObject({ code: 'LOCAL_TIMEOUT', errorClass: 'ambiguous' });
      expect(await caught(client.postEvenement(ev))).toMatchObject({
        code: 'LOCAL_REJECTED',
        issues: [{ path: 'type', rule: 'too_big', message: 'too long' }],
      });
    });

    it('acknowledges an event and lists its acknowledgements, 404 being permanent', async () => {
      const ack = { seq: 1, evenementId: 'e1', status: 'delivered', target: 'sne', at: 'x', receivedAt: 'x' };
      nock(BASE)
        .post('/evenements/e1/acquittements', { status: 'delivered', target: 'sne' })
        .reply(201, ack)
        .get('/evenements/e1/acquittements')
        .reply(200, { items: [ack] })
        .post('/evenements/e9/acquittements')
        .reply(404, { error: 'not_found' });
      await expect(client.acknowledge('e1', { status: 'delivered', target: 'sne' })).resolves.toEqual(ack);
      await expect(client.listAcquittements('e1')).resolves.toEqual([ack]);
      expect(await caught(client.acknowledge('e9', { status: 'rejected' }))).toMatchObject({
        code: 'LOCAL_NOT_FOUND',
        errorClass: 'permanent',
      });
    });
  });
});
