/** NO_PROXY rules: curl's and undici's syntax, CIDR ranges, ports, IPv6, and the errors for bad entries. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChainError, parseNoProxy, shouldBypass } from '../../../src/index.js';

const bypass = (target: string, rules: string | string[]) => shouldBypass(target, rules);

describe('shouldBypass', () => {
  it('matches nothing without rules', () => {
    expect(bypass('example.com:443', '')).toBe(false);
    expect(shouldBypass('example.com:443', undefined)).toBe(false);
  });

  it('"*" alone matches every target', () => {
    expect(bypass('example.com:443', '*')).toBe(true);
    expect(bypass('[::1]:80', '*')).toBe(true);
  });

  it('a domain matches itself and names under it, on label boundaries (curl)', () => {
    for (const rule of ['example.com', '.example.com', '*.example.com', 'EXAMPLE.com.']) {
      expect(bypass('example.com:443', rule), rule).toBe(true);
      expect(bypass('www.example.com:443', rule), rule).toBe(true);
      expect(bypass('a.b.example.com:80', rule), rule).toBe(true);
      expect(bypass('notexample.com:443', rule), rule).toBe(false);
      expect(bypass('example.com.evil.net:443', rule), rule).toBe(false);
    }
  });

  it('names are compared case-insensitively and without a trailing dot', () => {
    expect(bypass('WWW.Example.COM.:443', 'example.com')).toBe(true);
  });

  it('a port restricts the rule to that port', () => {
    expect(bypass('example.com:8080', 'example.com:8080')).toBe(true);
    expect(bypass('example.com:443', 'example.com:8080')).toBe(false);
    expect(bypass('10.1.2.3:80', '10.1.2.3:80')).toBe(true);
    expect(bypass('10.1.2.3:81', '10.1.2.3:80')).toBe(false);
  });

  it('IPv4 and IPv6 literals match the same address in any spelling, bracketed or not', () => {
    expect(bypass('127.0.0.1:80', '127.0.0.1')).toBe(true);
    expect(bypass('127.0.0.2:80', '127.0.0.1')).toBe(false);
    expect(bypass('[::1]:80', '::1')).toBe(true);
    expect(bypass('[0:0:0:0:0:0:0:1]:80', '[::1]')).toBe(true);
    expect(bypass('[::1]:8080', '[::1]:8080')).toBe(true);
    expect(bypass('[::1]:80', '[::1]:8080')).toBe(false);
  });

  it('CIDR ranges match IP targets inside them (proxychains localnet), with an optional port', () => {
    expect(bypass('10.200.3.4:443', '10.0.0.0/8')).toBe(true);
    expect(bypass('11.0.0.1:443', '10.0.0.0/8')).toBe(false);
    expect(bypass('192.168.1.9:80', '192.168.1.0/24:80')).toBe(true);
    expect(bypass('192.168.1.9:443', '192.168.1.0/24:80')).toBe(false);
    expect(bypass('[fd00::1]:443', 'fd00::/8')).toBe(true);
    expect(bypass('[fe80::1]:443', 'fd00::/8')).toBe(false);
    expect(bypass('[fd12::1]:22', '[fd00::/8]:22')).toBe(true);
  });

  it('never resolves names: an IP rule does not match a host name', () => {
    expect(bypass('localhost:80', '127.0.0.0/8')).toBe(false);
    expect(bypass('localhost:80', 'localhost')).toBe(true);
  });

  it('takes comma and whitespace separated lists, and arrays', () => {
    expect(bypass('b.internal:80', 'a.example.com, .internal  10.0.0.0/8')).toBe(true);
    expect(bypass('10.0.0.1:80', ['a.example.com', '10.0.0.0/8'])).toBe(true);
    expect(bypass('c.example.org:80', ['a.example.com', '10.0.0.0/8'])).toBe(false);
  });

  it('accepts targets as URLs and objects', () => {
    expect(shouldBypass('https://api.internal/x', '.internal')).toBe(true);
    expect(shouldBypass({ host: 'api.internal', port: 443 }, '.internal')).toBe(true);
  });

  it('a domain rule matches every subdomain and nothing that only ends with the same letters', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), label, label, (sub, name, prefix) => {
        const domain = `${name}.test`;
        expect(bypass(`${[...sub, domain].join('.')}:443`, domain)).toBe(true);
        expect(bypass(`${prefix}${domain}:443`, domain)).toBe(false);
      }),
    );
  });
});

describe('parseNoProxy errors', () => {
  const bad: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /NO_PROXY entry 2 \("10.0.0.0\/33"\).*prefix length must be 0-32/],
    ['fd00::/200', /prefix length must be 0-128/],
    ['example.com:99999', /port must be 1-65535/],
    ['http://proxy.example.com', /is a URL/],
    ['exa mple!', /entry 3 \("mple!"\) is not a host name/],
    ['300.1.1.1/8', /"300.1.1.1" is not an IP address/],
    ['[::1', /is not a host name/],
  ];
  it.each(bad)('"%s" is an INVALID_CONFIG that names the entry', (entry, message) => {
    let error: unknown;
    try {
      parseNoProxy(`localhost, ${entry}`, 'NO_PROXY');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('INVALID_CONFIG');
    expect((error as ChainError).message).toMatch(message);
  });

  it('keeps the entries for display', () => {
    expect(parseNoProxy(' A.com ,, .b.org ').entries).toEqual(['a.com', '.b.org']);
  });
});
