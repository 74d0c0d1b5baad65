/** The SOCKS messages we write, byte for byte: the client's requests and the listener's replies. */
import { describe, expect, it } from 'vitest';
import {
  connectRequest,
  greeting,
  methodChoice,
  socks4Reply,
  socks4Request,
  socks5Reply,
  userPassRequest,
  userPassStatus,
} from '../../../../src/protocols/socks/messages.js';
import {
  EncodeError,
  METHOD,
  SOCKS4,
  SOCKS5_REPLY,
  USER_PASS,
} from '../../../../src/protocols/socks/wire.js';

describe('SOCKS5 messages', () => {
  it('greeting lists the offered methods', () => {
    expect([...greeting([0x00, 0x02])]).toEqual([5, 2, 0, 2]);
  });

  it('connect request with IPv4, IPv6, IPv4-mapped IPv6 and a host name', () => {
    expect([...connectRequest({ host: '127.0.0.1', port: 1080 })]).toEqual([
      5, 1, 0, 1, 127, 0, 0, 1, 0x04, 0x38,
    ]);
    const v6 = connectRequest({ host: '2001:db8::1', port: 443 });
    expect(v6.subarray(0, 4)).toEqual(Buffer.from([5, 1, 0, 4]));
    expect(v6.subarray(4, 20).toString('hex')).toBe('20010db8000000000000000000000001');
    const mapped = connectRequest({ host: '::ffff:1.2.3.4', port: 80 });
    expect(mapped.subarray(4, 20).toString('hex')).toBe('00000000000000000000ffff01020304');
    expect([...connectRequest({ host: 'localhost', port: 25 })]).toEqual([
      5,
      1,
      0,
      3,
      9,
      ...Buffer.from('localhost'),
      0,
      25,
    ]);
  });

  it('user/password request (RFC 1929), and its 255-byte limit', () => {
    expect([...userPassRequest('al', 'pw')]).toEqual([1, 2, 97, 108, 2, 112, 119]);
    expect(() => userPassRequest('a'.repeat(256), 'x')).toThrow(EncodeError);
  });
});

describe('SOCKS4 messages', () => {
  it('SOCKS4 with an address and a user id', () => {
    expect([...socks4Request({ host: '127.0.0.1', port: 80 }, 'bob', false)]).toEqual([
      4, 1, 0, 80, 127, 0, 0, 1, 98, 111, 98, 0,
    ]);
  });

  it('SOCKS4a sends 0.0.0.1 and the name', () => {
    expect([...socks4Request({ host: 'localhost', port: 80 }, '', true)]).toEqual([
      4,
      1,
      0,
      80,
      0,
      0,
      0,
      1,
      0,
      ...Buffer.from('localhost'),
      0,
    ]);
  });

  it('refuses what SOCKS4 cannot carry', () => {
    expect(() => socks4Request({ host: 'localhost', port: 80 }, '', false)).toThrow(/socks4a/);
    expect(() => socks4Request({ host: '::1', port: 80 }, '', true)).toThrow(/IPv6/);
  });
});

describe('listener replies', () => {
  it('method choice, RFC 1929 status, SOCKS5 and SOCKS4 replies', () => {
    expect([...methodChoice(METHOD.noAcceptable)]).toEqual([5, 0xff]);
    expect([...userPassStatus(USER_PASS.failure)]).toEqual([1, 1]);
    expect([...socks5Reply(SOCKS5_REPLY.commandNotSupported)]).toEqual([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect([...socks4Reply(SOCKS4.granted)]).toEqual([0, 0x5a, 0, 0, 0, 0, 0, 0]);
  });
});
