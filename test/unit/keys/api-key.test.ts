import {
  generateApiKey,
  hashApiKey,
  keyMatchesHash,
  parseApiKey,
} from '../../../functions/core/keys/api-key';

describe('API keys', () => {
  it('generates igk_<keyId>_<secret> keys with 256 random bits and a SHA-256 hash', () => {
    const { key, keyId, hash } = generateApiKey();

    expect(key).toMatch(/^igk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`igk_${keyId}_`)).toBe(true);
    expect(Buffer.from(key.slice(21), 'base64url')).toHaveLength(32);
    expect(hash).toBe(hashApiKey(key));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never repeats a key or key id', () => {
    const keys = Array.from({ length: 1000 }, () => generateApiKey());

    expect(new Set(keys.map((k) => k.key)).size).toBe(1000);
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1000);
  });

  it('parses the key id of well-formed keys only', () => {
    const { key, keyId } = generateApiKey();

    expect(parseApiKey(key)).toEqual({ keyId });
    for (const bad of [
      '',
      'igk_',
      key.slice(0, -1),
      `${key}x`,
      key.replace('igk_', 'igx_'),
      key.toUpperCase(),
      ` ${key}`,
      `igk_${keyId}`,
      `igk_${keyId}_${'a'.repeat(42)}!`,
      'Bearer ' + key,
    ]) {
      expect(parseApiKey(bad)).toBeUndefined();
    }
  });

  it('matches a key against its hash only', () => {
    const first = generateApiKey();
    const second = generateApiKey();

    expect(keyMatchesHash(first.key, first.hash)).toBe(true);
    expect(keyMatchesHash(second.key, first.hash)).toBe(false);
    expect(keyMatchesHash(first.key, 'abcd')).toBe(false);
  });
});
