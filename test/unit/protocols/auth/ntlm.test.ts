// NTLM codec against the test vectors of MS-NLMP section 4.2 (4.2.2.1.2 for the NT hash,
// 4.2.4 for NTLMv2): user "User", domain "Domain", password "Password".
import md4 from 'js-md4';
import { describe, expect, it } from 'vitest';
import {
  authenticateMessage,
  FLAGS,
  NtlmFormatError,
  negotiateMessage,
  ntlmv2Responses,
  ntowfv2,
  parseChallenge,
} from '../../../../src/protocols/auth/ntlm.js';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const credentials = { user: 'User', password: 'Password', domain: 'Domain', workstation: 'COMPUTER' };
const serverChallenge = hex('01 23 45 67 89 ab cd ef');
const clientChallenge = hex('aa aa aa aa aa aa aa aa');
const time = Buffer.alloc(8);
// 4.2.4.3: MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL.
const targetInfo = Buffer.concat([
  hex('02 00 0c 00'),
  Buffer.from('Domain', 'utf16le'),
  hex('01 00 0c 00'),
  Buffer.from('Server', 'utf16le'),
  hex('00 00 00 00'),
]);
const challengeFlags = 0xe28a8233; // 4.2.4.3's NegotiateFlags

function challengeMessage(flags: number, info: Buffer): Buffer {
  const name = Buffer.from('Server', 'utf16le');
  const head = Buffer.alloc(48);
  head.write('NTLMSSP\0', 0, 'latin1');
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(48, 16);
  head.writeUInt32LE(flags >>> 0, 20);
  serverChallenge.copy(head, 24);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(48 + name.length, 44);
  return Buffer.concat([head, name, info]);
}

describe('NTLM codec (MS-NLMP 4.2 test vectors)', () => {
  it('hashes the password with MD4 (4.2.2.1.2 NTOWFv1)', () => {
    const hash = Buffer.from(md4.arrayBuffer(Buffer.from('Password', 'utf16le')));
    expect(hash.toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });

  it('derives NTOWFv2 (4.2.4.1.1)', () => {
    expect(ntowfv2('Password', 'User', 'Domain').toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('computes the LMv2 response and the NTLMv2 NTProofStr (4.2.4.2)', () => {
    const challenge = parseChallenge(challengeMessage(challengeFlags, targetInfo));
    expect(challenge.serverChallenge).toEqual(serverChallenge);
    expect(challenge.targetInfo).toEqual(targetInfo);
    const { nt, lm } = ntlmv2Responses(credentials, challenge, { clientChallenge, time });
    expect(lm.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(nt.subarray(0, 16).toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    // The blob after the proof: header, time, client challenge, reserved, AV pairs, reserved.
    expect(nt.subarray(16, 24)).toEqual(hex('01 01 00 00 00 00 00 00'));
    expect(nt.subarray(32, 40)).toEqual(clientChallenge);
    expect(nt.subarray(44, 44 + targetInfo.length)).toEqual(targetInfo);
  });

  it('lays out the AUTHENTICATE message with Unicode fields pointing at their payloads', () => {
    const challenge = parseChallenge(challengeMessage(challengeFlags, targetInfo));
    const message = authenticateMessage(credentials, challenge, { clientChallenge, time });
    expect(message.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    expect(message.readUInt32LE(8)).toBe(3);
    const field = (at: number) =>
      message.subarray(message.readUInt32LE(at + 4), message.readUInt32LE(at + 4) + message.readUInt16LE(at));
    expect(field(12).toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(field(20).subarray(0, 16).toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(field(28).toString('utf16le')).toBe('Domain');
    expect(field(36).toString('utf16le')).toBe('User');
    expect(field(44).toString('utf16le')).toBe('COMPUTER');
    const flags = message.readUInt32LE(60);
    expect(flags & FLAGS.unicode).toBe(FLAGS.unicode);
    expect(flags & FLAGS.oem).toBe(0);
  });

  it('uses OEM strings when the server does not take Unicode, and zero LM with a server timestamp', () => {
    const stamped = Buffer.concat([hex('07 00 08 00'), hex('0102030405060708'), hex('00 00 00 00')]);
    const challenge = parseChallenge(challengeMessage(FLAGS.oem | FLAGS.ntlm | FLAGS.targetInfo, stamped));
    const message = authenticateMessage(credentials, challenge, { clientChallenge });
    const field = (at: number) =>
      message.subarray(message.readUInt32LE(at + 4), message.readUInt32LE(at + 4) + message.readUInt16LE(at));
    expect(field(36).toString('latin1')).toBe('User');
    expect(field(12)).toEqual(Buffer.alloc(24));
    // The server's timestamp, not ours, is in the blob.
    expect(field(20).subarray(24, 32)).toEqual(hex('0102030405060708'));
  });

  it('sends a NEGOTIATE message that asks for NTLM with extended session security', () => {
    const message = negotiateMessage();
    expect(message.readUInt32LE(8)).toBe(1);
    const flags = message.readUInt32LE(12);
    expect(flags & FLAGS.ntlm).toBe(FLAGS.ntlm);
    expect(flags & FLAGS.extendedSessionSecurity).toBe(FLAGS.extendedSessionSecurity);
  });

  it('refuses what is not a challenge message', () => {
    expect(() => parseChallenge(negotiateMessage())).toThrow(NtlmFormatError);
    expect(() => parseChallenge(Buffer.from('hello'))).toThrow(NtlmFormatError);
  });
});
