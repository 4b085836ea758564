/**
 * Job payload protection (design.md §3.6): records waiting in Redis are sealed with AES-256-GCM under a
 * key id, so a Redis dump holds no clear personal data. Several keys may be configured for rotation:
 * new payloads use the active key, older ones still open with theirs.
 *
 * Sealed form: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PermanentError } from '../errors';

export interface PayloadKey {
  id: string;
  /** 32 bytes, base64. */
  secret: string;
}

export class PayloadCipher {
  private readonly keys = new Map<string, Buffer>();

  constructor(keys: readonly PayloadKey[], private readonly activeKeyId: string) {
    for (const k of keys) {
      const buf = Buffer.from(k.secret, 'base64');
      if (buf.length !== 32) {
        throw new PermanentError('CRYPTO_KEY_INVALID', `payload key "${k.id}" must be 32 bytes in base64`);
      }
      if (k.id.includes('.')) throw new PermanentError('CRYPTO_KEY_INVALID', 'a payload key id must not contain "."');
      this.keys.set(k.id, buf);
    }
    if (!this.keys.has(activeKeyId)) {
      throw new PermanentError('CRYPTO_KEY_INVALID', `the active payload key "${activeKeyId}" is not configured`);
    }
  }

  /** A fresh random key, base64: what `passerelle demo` writes and operators generate for production. */
  static generateSecret(): string {
    return randomBytes(32).toString('base64');
  }

  seal(value: unknown): string {
    const key = this.keys.get(this.activeKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', this.activeKeyId, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
  }

  open<T = unknown>(sealed: string): T {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') {
      throw new PermanentError('PAYLOAD_UNREADABLE', 'sealed payload has an unknown layout');
    }
    const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PermanentError('PAYLOAD_KEY_UNKNOWN', `payload sealed with key "${keyId}", which is not configured`, {
        details: { keyId },
      });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const clear = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
      return JSON.parse(clear.toString('utf8')) as T;
    } catch {
      throw new PermanentError('PAYLOAD_UNREADABLE', 'sealed payload failed authentication', { details: { keyId } });
    }
  }

  /** The key id a payload was sealed with (for rotation reports). */
  static keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }
}
