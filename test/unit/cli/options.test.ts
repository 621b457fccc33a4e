import { InvalidArgumentError } from 'commander';
import { parseExpires, parseKeyId, parseMonth, parseScopes } from '../../../cli/options';

const NOW = new Date('2026-01-01T00:00:00.000Z');

describe('parseExpires', () => {
  it.each([
    ['90m', '2026-01-01T01:30:00.000Z'],
    ['12h', '2026-01-01T12:00:00.000Z'],
    ['30d', '2026-01-31T00:00:00.000Z'],
    ['2w', '2026-01-15T00:00:00.000Z'],
  ])('reads the duration %s from now', (value, expected) => {
    expect(parseExpires(value, NOW)).toBe(expected);
  });

  it('accepts an ISO date-time with an offset', () => {
    expect(parseExpires('2026-03-01T12:00:00+02:00', NOW)).toBe('2026-03-01T10:00:00.000Z');
    expect(parseExpires('2026-03-01T00:00:00Z', NOW)).toBe('2026-03-01T00:00:00.000Z');
  });

  it.each(['30', '30x', '1y', '2026-03-01T00:00:00', '2026-03-01', 'tomorrow', '0d'])(
    'rejects %s',
    (value) => {
      expect(() => parseExpires(value, NOW)).toThrow(InvalidArgumentError);
    },
  );

  it('rejects an instant in the past', () => {
    expect(() => parseExpires('2025-12-31T23:59:59Z', NOW)).toThrow(/in the future/);
  });
});

describe('parseScopes', () => {
  it('reads a comma-separated list, trimming and removing duplicates', () => {
    expect(parseScopes('infer, models:read,infer')).toEqual(['infer', 'models:read']);
  });

  it('names the unknown scopes', () => {
    expect(() => parseScopes('infer,write,root')).toThrow(/unknown scope write, root/);
  });

  it('rejects an empty list', () => {
    expect(() => parseScopes(' , ')).toThrow(InvalidArgumentError);
  });
});

describe('other values', () => {
  it('checks months', () => {
    expect(parseMonth('2026-02')).toBe('2026-02');
    expect(() => parseMonth('2026-13')).toThrow(InvalidArgumentError);
  });

  it('refuses a whole key where a key id is expected', () => {
    expect(parseKeyId('0123456789abcdef')).toBe('0123456789abcdef');
    expect(() => parseKeyId('igk_0123456789abcdef_secret')).toThrow(/not the key itself/);
  });
});
