/**
 * Defects found against real servers (issue 17), the ones a unit test can show. The SOCKS5
 * reply 0x08 from a real IPv4-only dante is in test/interop/socks-address-type.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Chain, ChainError } from '../../../src/index.js';

describe('a hop URL with reserved characters in its password', () => {
  it.each([
    ['/', 'http://carol:pa/ss@127.0.0.1:3128'],
    ['#', 'http://carol:pa#ss@127.0.0.1:3128'],
    ['?', 'socks5://carol:p?ss@127.0.0.1:1080'],
    ['@ and /', 'http://carol:p@ss/w@127.0.0.1:3128'],
  ])('(%s) says to percent-encode, without showing the password', (_chars, url) => {
    let error: unknown;
    try {
      new Chain(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', hopIndex: 0 });
    const message = (error as Error).message;
    expect(message).toMatch(
      /(is not a valid URL|must not have a path, query or fragment): .*percent-encoded: @ as %40, : as %3A, \/ as %2F/,
    );
    expect(message).not.toMatch(/pa\/ss|pa#ss|p\?ss|p@ss/);
  });

  it('gives no such advice for a URL without credentials', () => {
    expect(() => new Chain('http://127.0.0.1:99999')).toThrow(
      /is not a valid URL: http:\/\/127\.0\.0\.1:99999$/,
    );
  });
});
