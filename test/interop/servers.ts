/**
 * The servers of the test bed as hops, and what each one is expected to answer. The
 * expectations follow the servers' real replies (scripts/testbed/README.md, "Observed
 * behaviour"); where a server cannot produce a case, the cell is n/a with the reason, and the
 * test asserts what the server does instead.
 */
import { readFileSync } from 'node:fs';
import type { ChainErrorCode, ChainOptions } from '../../src/index.js';
import type { Address, Testbed, TestbedServer } from './testbed.js';

export type Role = 'alone' | 'first' | 'middle' | 'last';
export const ROLES: readonly Role[] = ['alone', 'first', 'middle', 'last'];

export type Credentials = 'right' | 'none' | 'wrong';

/** Short per-hop limits: every failure here is an answer, never a timeout. */
export function chainOptions(testbed: Testbed, extra: ChainOptions = {}): ChainOptions {
  return { ca: readFileSync(testbed.ca), hopTimeoutMs: 4000, timeoutMs: 10_000, ...extra };
}

/** The hop URL of a server; `none` and `wrong` change only the credentials. */
export function hopUrl(testbed: Testbed, server: TestbedServer, credentials: Credentials = 'right'): string {
  const scheme = server.protocol === 'socks5' ? 'socks5' : server.protocol;
  let userinfo = '';
  if (credentials !== 'none' && server.auth) {
    const wrong = credentials === 'wrong';
    const username = wrong && squidBehind(server) ? SQUID_WRONG_USER : server.auth.username;
    const password = wrong ? testbed.credentials.wrongPassword : server.auth.password;
    userinfo = `${encodeURIComponent(username)}:${encodeURIComponent(password)}@`;
  } else if (credentials === 'wrong') {
    // A server without auth still gets (made-up) credentials: does it ignore them?
    userinfo = `nobody:${encodeURIComponent(testbed.credentials.wrongPassword)}@`;
  }
  return `${scheme}://${userinfo}${server.host}:${server.port}`;
}

/**
 * squid keeps one credential state per user name: a wrong password for alice while other
 * requests for alice are in flight can make squid refuse those (Basic) or accept the wrong one
 * (Digest). Wrong credentials for squid therefore use a user name nothing else sends
 * (docs/compatibility.md, Quirks).
 */
const SQUID_WRONG_USER = 'mallory';

export function squidBehind(s: TestbedServer): boolean {
  return s.kind === 'squid' || s.kind === 'stunnel';
}

/** A stand-in "next hop" at `address`: the hop before it is asked to connect there. */
export function fakeHop(address: Address): string {
  return `http://${address.host}:${address.port}`;
}

export function server(testbed: Testbed, name: string): TestbedServer {
  const found = testbed.servers.find((s) => s.name === name);
  if (!found) throw new Error(`testbed.json has no server ${name}`);
  return found;
}

/**
 * Neighbours for the first/middle/last positions: a SOCKS5 server before and an HTTP proxy
 * after, so that every chain mixes protocols; the alternative when the server is the partner.
 */
export function partners(
  testbed: Testbed,
  of: TestbedServer,
): { before: TestbedServer; after: TestbedServer } {
  const pick = (a: string, b: string) => server(testbed, of.name === a ? b : a);
  return { before: pick('dante-open', 'microsocks-open'), after: pick('squid-open', 'tinyproxy-open') };
}

/** A failure code, or 'opens': the tunnel opens although the case asks for a refusal. */
export type Outcome = ChainErrorCode | 'opens';

export interface Expectation {
  outcome: Outcome;
  /** Set when the case does not apply to this server: why, and what it does instead. */
  na?: string;
}

export function expectNoCredentials(s: TestbedServer): Expectation {
  if (s.auth) return { outcome: 'AUTH_REQUIRED' };
  return { outcome: 'opens', na: 'no authentication configured' };
}

export function expectWrongCredentials(s: TestbedServer): Expectation {
  if (s.auth) return { outcome: 'AUTH_FAILED' };
  return {
    outcome: 'opens',
    na:
      s.protocol === 'socks5'
        ? 'no authentication: it picks "no auth" among the offered methods (asserted: the tunnel opens)'
        : 'no authentication: Proxy-Authorization is ignored (asserted: the tunnel opens)',
  };
}

export function expectDenied(s: TestbedServer): Expectation {
  if (!s.deniedTarget) {
    return {
      outcome: 'opens',
      na: 'no ruleset: it cannot refuse a destination (asserted: the tunnel opens)',
    };
  }
  if (s.kind === 'ssh') {
    return {
      outcome: 'TARGET_UNREACHABLE',
      na: 'ssh -D closes without a SOCKS reply for a refused channel as for a failed connect: reported as unreachable (asserted)',
    };
  }
  return { outcome: 'PROXY_DENIED' };
}

export function expectClosed(_s: TestbedServer): Expectation {
  return { outcome: 'TARGET_UNREACHABLE' };
}

export function deniedAddress(testbed: Testbed, s: TestbedServer): Address {
  return s.deniedTarget ?? testbed.deniedTarget;
}

/**
 * Where a failure of hop `index` is blamed: the hop itself, except that "cannot reach my
 * destination" names the next hop (HOP_UNREACHABLE) when the destination is one.
 */
export function expectedFailure(
  outcome: ChainErrorCode,
  index: number,
  destIsHop: boolean,
): { code: ChainErrorCode; hopIndex: number } {
  if (outcome === 'TARGET_UNREACHABLE' && destIsHop) return { code: 'HOP_UNREACHABLE', hopIndex: index + 1 };
  return { code: outcome, hopIndex: index };
}

/**
 * The same server twice in a row: tinyproxy and dante refuse to connect to themselves (loop
 * protection); the others relay to themselves like to anyone.
 */
export function selfPairRefusal(
  s: TestbedServer,
): { code: ChainErrorCode; hopIndex: number; reply: string; why: string } | undefined {
  if (s.kind === 'tinyproxy') {
    return {
      code: 'PROTOCOL_ERROR',
      hopIndex: 1,
      reply: 'HTTP 400 Bad Request',
      why: 'tinyproxy answers a CONNECT that arrives through its own outgoing connection with 400 ("Prevented endless loop"): PROTOCOL_ERROR at hop 2 (asserted)',
    };
  }
  if (s.kind === 'dante') {
    return {
      code: 'PROXY_DENIED',
      hopIndex: 0,
      reply: 'SOCKS5 reply 0x02 (connection not allowed by ruleset)',
      why: 'dante refuses to connect to its own listening address (REP 0x02, "Very suspicious"): PROXY_DENIED at hop 1 (asserted)',
    };
  }
  return undefined;
}
