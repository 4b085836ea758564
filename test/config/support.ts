import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** 32 fixed bytes in base64: a valid AES-256 key for tests only. */
export const TEST_KEY = Buffer.alloc(32, 7).toString('base64');
export const TEST_HMAC = 'test-hmac-secret-0123456789abcdef-0123';
export const TEST_WEB_TOKEN = 'test-web-token-0123456789abcdefghijkl';
export const TEST_LOCAL_TOKEN = 'test-local-token-xyz';

/** A temporary working directory with files; removed by `cleanup()`. */
export function workDir(): { dir: string; write(rel: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-config-'));
  return {
    dir,
    write(rel, content) {
      const p = join(dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The secret files config/default.yaml names, as the demo writes them (with a trailing newline). */
export function writeDemoSecrets(write: (rel: string, content: string) => string): void {
  write('.passerelle/secrets/local-token', `${TEST_LOCAL_TOKEN}\n`);
  write('.passerelle/secrets/crypto-demo-1', `${TEST_KEY}\n`);
  write('.passerelle/secrets/events-hmac', `${TEST_HMAC}\n`);
  write('.passerelle/secrets/web-token', `${TEST_WEB_TOKEN}\n`);
}

/** The smallest valid configuration: secrets from the environment ({@link minimalEnv}). */
export function minimalConfig(): Record<string, any> {
  return {
    redis: { url: 'redis://127.0.0.1:6379', prefix: 'passerelle-test' },
    sne: { url: 'http://127.0.0.1:7801', guichet: 'G0123' },
    local: { url: 'http://127.0.0.1:7803', token: { env: 'T_LOCAL_TOKEN' } },
    territory: { department: '35', delaiAnormalementLongMonths: 24 },
    crypto: { keys: [{ id: 'k1', secret: { env: 'T_KEY' } }], activeKeyId: 'k1' },
    events: { hmacSecret: { env: 'T_HMAC' } },
  };
}

export const minimalEnv = (): NodeJS.ProcessEnv => ({
  T_LOCAL_TOKEN: TEST_LOCAL_TOKEN,
  T_KEY: TEST_KEY,
  T_HMAC: TEST_HMAC,
});

export const toYaml = (value: unknown): string => stringify(value);

/**
 * A configuration with exactly five distinct mistakes, each at a known path (needs {@link minimalEnv}
 * and a readable `client.key` in the working directory).
 */
export function fiveMistakes(): Record<string, any> {
  const c = minimalConfig();
  c.sne = { ...c.sne, url: 'https://sne.example/ws', tls: { cert: 'missing-cert.pem', key: 'client.key' } };
  c.spta = [
    { id: 'a', profile: 'ok', url: 'http://127.0.0.1:7802' },
    { id: 'b', profile: 'Bad Profile!', url: 'http://127.0.0.1:7804' },
  ];
  c.local = { ...c.local, token: 'literal-token-in-the-file' };
  c.schedules = { reconcile: '99 * * * *' };
  c.crypto = { ...c.crypto, activeKeyId: 'k9' };
  return c;
}

export const FIVE_MISTAKES = [
  { path: 'sne.tls.cert', rule: 'file-readable' },
  { path: 'spta[1].profile', rule: 'profile-name' },
  { path: 'local.token', rule: 'secret-ref' },
  { path: 'schedules.reconcile', rule: 'cron' },
  { path: 'crypto.activeKeyId', rule: 'key-exists' },
];
