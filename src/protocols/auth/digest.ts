/**
 * HTTP Digest access authentication (RFC 7616) for proxies: challenge parsing and the
 * `Proxy-Authorization: Digest ...` answer. MD5, SHA-256 and SHA-512/256, their `-sess`
 * variants, qop=auth (and the legacy qop-less form of RFC 2069); `userhash` and non-ASCII
 * user names (`username*`) too. auth-int needs the request body and a CONNECT has none
 * worth protecting, so it is not offered.
 */
import { createHash, randomBytes } from 'node:crypto';

export const DIGEST_ALGORITHMS = [
  'SHA-512-256',
  'SHA-512-256-sess',
  'SHA-256',
  'SHA-256-sess',
  'MD5',
  'MD5-sess',
] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** One challenge of a Proxy-Authenticate header: its scheme and auth-params (names lower-cased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
  token68?: string;
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | undefined;
  algorithm: DigestAlgorithm;
  /** 'auth' when the server offers it; undefined for the legacy RFC 2069 form. */
  qop: 'auth' | undefined;
  stale: boolean;
  userhash: boolean;
}

export interface DigestAnswer {
  username: string;
  password: string;
  method: string;
  uri: string;
  challenge: DigestChallenge;
  /** Request count for this nonce, from 1. */
  nc: number;
  /** Fixed for tests; random otherwise. */
  cnonce?: string;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAM = new RegExp(`^(${TOKEN})\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|[^\\s,]*)`);
const SCHEME = new RegExp(`^(${TOKEN})(?![^\\s,]|\\s*=)`);
const TOKEN68 = /^\s+([A-Za-z0-9\-._~+/]+=*)\s*(?=,|$)/;

/** Parses Proxy-Authenticate values, each of which may hold several challenges (RFC 9110 11.6.1). */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const challenges: Challenge[] = [];
  for (const value of values) {
    let rest = value;
    let current: Challenge | undefined;
    while (rest.length > 0) {
      rest = rest.replace(/^[\s,]+/, '');
      if (rest === '') break;
      const param = PARAM.exec(rest);
      if (param && current) {
        const raw = param[2] ?? '';
        current.params[(param[1] ?? '').toLowerCase()] = raw.startsWith('"')
          ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
          : raw;
        rest = rest.slice(param[0].length);
        continue;
      }
      const scheme = SCHEME.exec(rest);
      if (!scheme) break; // not a challenge list we understand; keep what we have
      current = { scheme: (scheme[1] ?? '').toLowerCase(), params: {} };
      challenges.push(current);
      rest = rest.slice(scheme[0].length);
      const token68 = TOKEN68.exec(rest);
      if (token68) {
        current.token68 = token68[1];
        rest = rest.slice(token68[0].length);
      }
    }
  }
  return challenges;
}

/**
 * The strongest Digest challenge we can answer; `undefined` with a reason when there is a
 * Digest challenge we cannot answer, and `null` when there is none at all.
 */
export function pickDigest(
  challenges: readonly Challenge[],
): DigestChallenge | { unsupported: string } | null {
  const digests = challenges.filter((challenge) => challenge.scheme === 'digest');
  if (digests.length === 0) return null;
  const usable: DigestChallenge[] = [];
  const reasons: string[] = [];
  for (const { params } of digests) {
    const algorithm = DIGEST_ALGORITHMS.find(
      (name) => name.toLowerCase() === (params.algorithm ?? 'MD5').toLowerCase(),
    );
    const qops = params.qop?.split(',').map((q) => q.trim().toLowerCase());
    if (!algorithm) reasons.push(`algorithm ${params.algorithm}`);
    else if (qops && !qops.includes('auth')) reasons.push(`qop=${params.qop}`);
    else if (params.realm === undefined || params.nonce === undefined) reasons.push('no realm or nonce');
    else {
      usable.push({
        realm: params.realm,
        nonce: params.nonce,
        opaque: params.opaque,
        algorithm,
        qop: qops ? 'auth' : undefined,
        stale: params.stale?.toLowerCase() === 'true',
        userhash: params.userhash?.toLowerCase() === 'true',
      });
    }
  }
  const rank = (challenge: DigestChallenge) => DIGEST_ALGORITHMS.indexOf(challenge.algorithm);
  usable.sort((a, b) => rank(a) - rank(b));
  return usable[0] ?? { unsupported: reasons.join(', ') };
}

/** The `Digest ...` credentials for a request (the value of Proxy-Authorization). */
export function digestAuthorization(answer: DigestAnswer): string {
  const { challenge, method, uri, password } = answer;
  const { realm, nonce, algorithm, qop } = challenge;
  const hash = hasher(algorithm);
  const cnonce = answer.cnonce ?? randomBytes(16).toString('hex');
  const nc = answer.nc.toString(16).padStart(8, '0');
  let ha1 = hash(`${answer.username}:${realm}:${password}`);
  if (algorithm.endsWith('-sess')) ha1 = hash(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = hash(`${method}:${uri}`);
  const response = qop
    ? hash(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(`${ha1}:${nonce}:${ha2}`);
  const parts = [userParam(answer.username, realm, challenge.userhash, hash)];
  parts.push(`realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`);
  parts.push(`algorithm=${algorithm}`, `response="${response}"`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.userhash) parts.push('userhash=true');
  return `Digest ${parts.join(', ')}`;
}

function hasher(algorithm: DigestAlgorithm): (text: string) => string {
  const name = algorithm.startsWith('SHA-512-256')
    ? 'sha512-256'
    : algorithm.startsWith('SHA-256')
      ? 'sha256'
      : 'md5';
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

function userParam(username: string, realm: string, userhash: boolean, hash: (t: string) => string): string {
  if (userhash) return `username="${hash(`${username}:${realm}`)}"`;
  // A quoted-string carries ASCII only; other names go as an RFC 8187 extended value.
  if (/^[\x20-\x7e]*$/.test(username)) return `username=${quote(username)}`;
  return `username*=UTF-8''${encodeURIComponent(username)}`;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}
