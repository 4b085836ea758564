/**
 * The transport over real HTTPS with mutual TLS, against a small Node server on loopback that asks for a
 * client certificate and refuses connections without a trusted one. TLS material comes from
 * `scripts/gen-test-tls.sh`, generated into a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSneFaultResponse, buildSneResponse, createSneTransport, parseSneRequest, type SneRequestInput } from '../../../src/systems/sne/wire';
import { GatewayError, ValidationError } from '../../../src/errors';

const SCRIPT = join(__dirname, '../../../scripts/gen-test-tls.sh');

describe('SNE transport over HTTPS with mutual TLS', () => {
  let dir: string;
  let server: https.Server;
  let url: string;
  const seen: Array<{ operation: string; clientCn: string }> = [];
  let connections = 0;
  const file = (name: string): string => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sne-tls-'));
    execFileSync('bash', [SCRIPT, dir], { stdio: 'pipe' });
    server = https.createServer(
      {
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.crt')),
        ca: readFileSync(file('ca.crt')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          let answer;
          try {
            // The server reads the request the way the service would.
            const parsed = parseSneRequest(req.headers['content-type'], Buffer.concat(chunks));
            const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
            seen.push({ operation: parsed.operation, clientCn: String(peer.subject?.CN ?? '') });
            const numUnique = parsed.input.operation === 'getDemandeLogement' ? parsed.input.numUnique : '';
            answer = buildSneResponse({
              operation: parsed.operation,
              payload: `<interfaceNuu xmlns="http://nuu.application.i2/"><demande><demandeLogement><numUnique>${numUnique}</numUnique></demandeLogement></demande></interfaceNuu>`,
            });
          } catch (e) {
            answer = buildSneFaultResponse({ code: 'Sender', reason: e instanceof ValidationError ? e.message : 'unexpected' });
          }
          res.writeHead(answer.status, { 'Content-Type': answer.contentType });
          res.end(answer.body);
        });
      },
    );
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function input(certificat: Buffer | string): SneRequestInput {
    return { operation: 'getDemandeLogement', numUnique: '1110318016982G1104', nomCertificat: 'CERG1226-201701131455.pem', certificat };
  }

  async function rejection(p: Promise<unknown>): Promise<GatewayError> {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(GatewayError);
      return e as GatewayError;
    }
    throw new Error('the call succeeded');
  }

  it('calls the service with the client certificate from files and reads its answer', async () => {
    const transport = createSneTransport({ url, tls: { cert: file('client.crt'), key: file('client.key'), ca: file('ca.crt') }, timeoutMs: 10_000 });
    try {
      expect(transport.clientCertificate?.toString()).toContain('BEGIN CERTIFICATE');
      const before = connections;
      const first = await transport.call(input(transport.clientCertificate as Buffer));
      expect(first).toMatchObject({ kind: 'interfaceNuu', packaging: 'mtom' });
      expect(first.kind === 'interfaceNuu' && first.xml).toContain('<numUnique>1110318016982G1104</numUnique>');
      // A second call reuses the keep-alive connection.
      await transport.call(input(transport.clientCertificate as Buffer));
      expect(connections - before).toBe(1);
      expect(seen.slice(-2)).toEqual([
        { operation: 'getDemandeLogement', clientCn: 'passerelle test client' },
        { operation: 'getDemandeLogement', clientCn: 'passerelle test client' },
      ]);
    } finally {
      transport.close();
    }
  });

  it('accepts TLS material given as buffers', async () => {
    const transport = createSneTransport({
      url,
      tls: { cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')), ca: readFileSync(file('ca.crt')) },
    });
    try {
      expect((await transport.call(input('x'))).kind).toBe('interfaceNuu');
    } finally {
      transport.close();
    }
  });

  it('classifies a connection without client certificate as permanent SNE_AUTH', async () => {
    const transport = createSneTransport({ url, tls: undefined, httpsAgent: new https.Agent({ ca: readFileSync(file('ca.crt')) }) });
    try {
      const e = await rejection(transport.call(input('x')));
      expect(e).toMatchObject({ code: 'SNE_AUTH', errorClass: 'permanent', system: 'sne' });
      expect(e.cause).toBeUndefined();
    } finally {
      transport.close();
    }
  });

  it('classifies a missing client certificate under TLS 1.2 as permanent SNE_AUTH too', async () => {
    const agent = new https.Agent({ ca: readFileSync(file('ca.crt')), maxVersion: 'TLSv1.2' });
    const transport = createSneTransport({ url, httpsAgent: agent });
    try {
      expect(await rejection(transport.call(input('x')))).toMatchObject({ code: 'SNE_AUTH', errorClass: 'permanent' });
    } finally {
      transport.close();
      agent.destroy();
    }
  });

  it('classifies an untrusted server certificate as permanent SNE_AUTH', async () => {
    const transport = createSneTransport({ url, tls: { cert: file('client.crt'), key: file('client.key'), ca: file('other-ca.crt') } });
    try {
      const e = await rejection(transport.call(input('x')));
      expect(e).toMatchObject({ code: 'SNE_AUTH', errorClass: 'permanent' });
      expect(e.details.networkCode).toMatch(/CERT|SIGNATURE|ISSUER|SELF_SIGNED/);
    } finally {
      transport.close();
    }
  });
});
