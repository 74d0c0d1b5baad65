/**
 * The SOCKS address codec (src/protocols/socks/wire.ts) that the client handshake and the
 * serve listener share: host text to ATYP + bytes and back, for every form a host takes.
 */
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATYP,
  addressLength,
  decodeAddress,
  EncodeError,
  encodeAddress,
  SOCKS5_REPLY,
  SOCKS5_REPLY_TEXT,
} from '../../../../src/protocols/socks/wire.js';

/** The bytes after ATYP (and after a name's length byte), as a reader on the wire gets them. */
async function decodeEncoded(encoded: Buffer): Promise<string> {
  const atyp = encoded[0] as number;
  let at = 1;
  const length = await addressLength(atyp, async () => encoded[at++] as number);
  expect(length).toBeDefined();
  expect(encoded.length).toBe(at + (length as number));
  return decodeAddress(atyp, encoded.subarray(at));
}

/** The form people write and logs show: what SocketAddress (inet_ntop) makes of it. */
const canonical = (ipv6: string) => new net.SocketAddress({ address: ipv6, family: 'ipv6' }).address;

/** A name that is not an IP literal, with its UTF-8 length. */
const names = fc
  .oneof(fc.domain(), fc.string({ unit: 'grapheme', maxLength: 255 }), fc.string({ unit: 'grapheme-ascii' }))
  .filter((name) => net.isIP(name) === 0);

describe('address codec round trip', () => {
  it('IPv4: ATYP 0x01 and four bytes, back to the same dotted quad', async () => {
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), async (host) => {
        const encoded = encodeAddress(host);
        expect([...encoded]).toEqual([ATYP.ipv4, ...host.split('.').map(Number)]);
        expect(await decodeEncoded(encoded)).toBe(host);
      }),
    );
  });

  it('IPv6 in any written form (::, embedded IPv4): 16 bytes, back to the compressed form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.ipV6(), async (host) => {
        const encoded = encodeAddress(host);
        expect(encoded[0]).toBe(ATYP.ipv6);
        expect(encoded.length).toBe(17);
        const decoded = await decodeEncoded(encoded);
        expect(decoded).toBe(canonical(host));
        expect(encodeAddress(decoded)).toEqual(encoded);
      }),
    );
  });

  it('any 16 bytes decode to an address that encodes to the same 16 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 16, maxLength: 16 }), async (bytes) => {
        const host = decodeAddress(ATYP.ipv6, Buffer.from(bytes));
        expect(net.isIPv6(host)).toBe(true);
        expect(encodeAddress(host).subarray(1)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('IPv4-mapped IPv6 keeps its dotted tail, and the hex form means the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.ipV4(), async (v4) => {
        const octets = v4.split('.').map(Number);
        const bytes = [...new Array(10).fill(0), 0xff, 0xff, ...octets];
        const encoded = encodeAddress(`::ffff:${v4}`);
        expect([...encoded]).toEqual([ATYP.ipv6, ...bytes]);
        const hex = Buffer.from(octets).toString('hex');
        expect(encodeAddress(`0:0:0:0:0:ffff:${hex.slice(0, 4)}:${hex.slice(4)}`)).toEqual(encoded);
        expect(await decodeEncoded(encoded)).toBe(`::ffff:${v4}`);
      }),
    );
  });

  it('the :: forms at the edges', async () => {
    for (const [host, hex, back] of [
      ['::', '00'.repeat(16), '::'],
      ['::1', `${'00'.repeat(15)}01`, '::1'],
      ['1::', `0001${'00'.repeat(14)}`, '1::'],
      ['0:0:0:0:0:0:0:1', `${'00'.repeat(15)}01`, '::1'],
      ['2001:db8::1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
      ['fe80::1%eth0', `fe80${'00'.repeat(13)}01`, 'fe80::1'],
    ] as const) {
      const encoded = encodeAddress(host);
      expect(encoded.subarray(1).toString('hex')).toBe(hex);
      expect(await decodeEncoded(encoded)).toBe(back);
    }
  });

  it('names up to 255 bytes: ATYP 0x03, the length, the UTF-8 bytes, back to the same name', async () => {
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const bytes = Buffer.from(name, 'utf8');
        fc.pre(bytes.length <= 255);
        const encoded = encodeAddress(name);
        expect([...encoded.subarray(0, 2)]).toEqual([ATYP.domain, bytes.length]);
        expect(await decodeEncoded(encoded)).toBe(name);
      }),
    );
    expect(await decodeEncoded(encodeAddress('a'.repeat(255)))).toBe('a'.repeat(255));
  });

  it('a name over 255 bytes cannot be encoded', () => {
    expect(() => encodeAddress('a'.repeat(256))).toThrow(EncodeError);
    // 128 two-byte characters: 128 characters, 256 bytes.
    expect(() => encodeAddress('é'.repeat(128))).toThrow(EncodeError);
  });

  it('an unknown ATYP has no length', async () => {
    for (const atyp of [0x00, 0x02, 0x05, 0xff]) {
      expect(await addressLength(atyp, async () => 0)).toBeUndefined();
    }
  });
});

describe('reply codes', () => {
  it('every SOCKS5 reply code 0x00-0x08 has a name', () => {
    const codes = Object.values(SOCKS5_REPLY);
    expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const code of codes) expect(SOCKS5_REPLY_TEXT[code]).toBeTruthy();
  });
});
