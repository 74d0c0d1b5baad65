/**
 * NTLM messages for HTTP proxy authentication (MS-NLMP): the NEGOTIATE (type 1) message,
 * the parsing of the server's CHALLENGE (type 2), and the AUTHENTICATE (type 3) message
 * with an NTLMv2 response. NTLMv1 and LM responses (DES over a weakly hashed password) are
 * never produced: a proxy that accepts only those is refused, as current Windows does.
 *
 * Written here rather than taken from the registry: @node-ntlm/core and httpntlm fall back
 * to NTLMv1/LM, draw the client challenge from Math.random, and take no fixed challenge or
 * time, so they cannot be checked against the specification's test vectors (MS-NLMP 4.2.4,
 * in test/unit/protocols/auth/ntlm.test.ts). MD4, which NTLM's password hash needs, is not in Node 20's
 * OpenSSL 3 default provider (`createHash('md4')` throws), so it comes from js-md4.
 */
import { createHmac, randomBytes } from 'node:crypto';
import md4 from 'js-md4';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const FLAGS = {
  unicode: 0x1,
  oem: 0x2,
  requestTarget: 0x4,
  ntlm: 0x200,
  alwaysSign: 0x8000,
  extendedSessionSecurity: 0x80000,
  targetInfo: 0x800000,
  bits128: 0x20000000,
  bits56: 0x80000000,
} as const;

/** What we ask for: NTLM with extended session security, Unicode or OEM strings as the server likes. */
const NEGOTIATE_FLAGS =
  FLAGS.unicode |
  FLAGS.oem |
  FLAGS.requestTarget |
  FLAGS.ntlm |
  FLAGS.alwaysSign |
  FLAGS.extendedSessionSecurity |
  FLAGS.bits128 |
  FLAGS.bits56;

export interface NtlmCredentials {
  user: string;
  password: string;
  /** The user's domain (NetBIOS or DNS name); '' for a local account. */
  domain: string;
  /** This machine's name as the proxy should see it; '' sends none. */
  workstation: string;
}

export interface NtlmChallenge {
  flags: number;
  serverChallenge: Buffer;
  /** AV pairs (MS-NLMP 2.2.2.1), ending with MsvAvEOL; empty when the server sent none. */
  targetInfo: Buffer;
}

/** The NEGOTIATE message: no domain or workstation in it (they go, if at all, in type 3). */
export function negotiateMessage(): Buffer {
  const message = Buffer.alloc(32);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(NEGOTIATE_FLAGS >>> 0, 12);
  // DomainNameFields and WorkstationFields stay zero: none supplied.
  return message;
}

export class NtlmFormatError extends Error {}

/** Reads a CHALLENGE message; throws NtlmFormatError on anything that is not one. */
export function parseChallenge(message: Buffer): NtlmChallenge {
  if (message.length < 32 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 2) {
    throw new NtlmFormatError('not an NTLM challenge (type 2) message');
  }
  const flags = message.readUInt32LE(20);
  const serverChallenge = Buffer.from(message.subarray(24, 32));
  let targetInfo = Buffer.alloc(0);
  if (flags & FLAGS.targetInfo && message.length >= 48) {
    const length = message.readUInt16LE(40);
    const offset = message.readUInt32LE(44);
    if (offset + length > message.length)
      throw new NtlmFormatError('NTLM challenge target info out of bounds');
    targetInfo = Buffer.from(message.subarray(offset, offset + length));
  }
  return { flags, serverChallenge, targetInfo };
}

/** NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 keyed with MD4(password) over UPPER(user) + domain. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  const ntHash = Buffer.from(md4.arrayBuffer(Buffer.from(password, 'utf16le')));
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

export interface ResponseInputs {
  /** 8 random bytes; fixed only in tests. */
  clientChallenge?: Buffer;
  /** FILETIME (100 ns since 1601) as 8 little-endian bytes; the server's MsvAvTimestamp when it sent one. */
  time?: Buffer;
}

/** The NTLMv2 and LMv2 responses (MS-NLMP 3.3.2) to a challenge. */
export function ntlmv2Responses(
  credentials: NtlmCredentials,
  challenge: NtlmChallenge,
  inputs: ResponseInputs = {},
): { nt: Buffer; lm: Buffer } {
  const key = ntowfv2(credentials.password, credentials.user, credentials.domain);
  const clientChallenge = inputs.clientChallenge ?? randomBytes(8);
  const serverTime = avPair(challenge.targetInfo, AV_TIMESTAMP);
  const time = inputs.time ?? serverTime ?? filetimeNow();
  const avPairs = challenge.targetInfo.length > 0 ? challenge.targetInfo : Buffer.alloc(4);
  const blob = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    time,
    clientChallenge,
    Buffer.alloc(4),
    avPairs,
    Buffer.alloc(4),
  ]);
  const proof = hmacMd5(key, Buffer.concat([challenge.serverChallenge, blob]));
  // With a server timestamp the LM response must be zeros (MS-NLMP 3.1.5.1.2).
  const lm = serverTime
    ? Buffer.alloc(24)
    : Buffer.concat([
        hmacMd5(key, Buffer.concat([challenge.serverChallenge, clientChallenge])),
        clientChallenge,
      ]);
  return { nt: Buffer.concat([proof, blob]), lm };
}

/** The AUTHENTICATE message answering `challenge` (no session key: HTTP needs no signing). */
export function authenticateMessage(
  credentials: NtlmCredentials,
  challenge: NtlmChallenge,
  inputs: ResponseInputs = {},
): Buffer {
  const { nt, lm } = ntlmv2Responses(credentials, challenge, inputs);
  const unicode = (challenge.flags & FLAGS.unicode) !== 0;
  const text = (value: string) => Buffer.from(value, unicode ? 'utf16le' : 'latin1');
  const fields = [lm, nt, text(credentials.domain), text(credentials.user), text(credentials.workstation)];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = header.length;
  fields.forEach((field, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(field.length, at);
    header.writeUInt16LE(field.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += field.length;
  });
  // EncryptedRandomSessionKeyFields (52..59) stay empty.
  header.writeUInt32LE(offset, 56);
  const flags = (challenge.flags & NEGOTIATE_FLAGS & ~(unicode ? FLAGS.oem : FLAGS.unicode)) >>> 0;
  header.writeUInt32LE(flags, 60);
  return Buffer.concat([header, ...fields]);
}

const AV_EOL = 0;
const AV_TIMESTAMP = 7;

function avPair(targetInfo: Buffer, id: number): Buffer | undefined {
  for (let at = 0; at + 4 <= targetInfo.length; ) {
    const avId = targetInfo.readUInt16LE(at);
    const length = targetInfo.readUInt16LE(at + 2);
    if (avId === AV_EOL) return undefined;
    if (avId === id) return Buffer.from(targetInfo.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return undefined;
}

function filetimeNow(): Buffer {
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE((BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n);
  return time;
}

function hmacMd5(key: Buffer, data: Buffer): Buffer {
  return createHmac('md5', key).update(data).digest();
}
