/**
 * probe's canary: does the hop answer its own protocol at all, or only not for this
 * destination? It runs the hop's own handshake (credentials included) for a destination the
 * hop refuses by itself: port 0 of `near` (diagnose passes the hop's own address, so nothing
 * new is resolved anywhere). Port 0 is refused before any connection is opened onward: squid
 * answers `400`, dante `reply 0x08` (measured in the firewall lab, also with every onward
 * connection of the proxy dropped); proxies that try port 0 anyway fail at once on a refused
 * connect (tinyproxy `500`, microsocks `reply 0x05`). The canary used to ask for the hop's own
 * address: an onward connection, which a firewall cutting the hop's egress drops too, and a
 * filtered target then read as protocol-blocked.
 *
 * One answer stays ambiguous: a SOCKS connection closed without a reply after our request.
 * ssh -D says "no" that way, and so looks an IPS resetting the request behind a hop that
 * relays it. Only then the canary asks again for `near` itself (the old canary).
 */
import type { Duplex } from 'node:stream';
import type { Chain } from '../../chain/chain.js';
import { ChainError } from '../../errors.js';
import type { Hop } from '../../hop.js';
import { AuthMemory } from '../../protocols/auth/memory.js';
import type { HopContext } from '../../protocols/context.js';
import { handshake } from '../../protocols/index.js';
import { formatTarget, type Target } from '../../target.js';
import type { Outcome } from './follow-up.js';

export async function canary(
  chain: Chain,
  path: readonly number[],
  near: Target,
  timeoutMs: number,
): Promise<Outcome> {
  const began = performance.now();
  const first = await refusedByItself(chain, path, near, timeoutMs);
  if (!first.closedWithoutReply) return first.outcome;
  const second = await ownAddress(chain, path, near, timeoutMs - (performance.now() - began));
  return {
    ...second,
    detail: `${first.outcome.detail}; then ${second.detail}`,
    ms: Math.round(performance.now() - began),
  };
}

/** The handshake for port 0 of `near`, over a connection to the hop (TLS done for https). */
async function refusedByItself(
  chain: Chain,
  path: readonly number[],
  near: Target,
  timeoutMs: number,
): Promise<{ outcome: Outcome; closedWithoutReply?: boolean }> {
  const began = performance.now();
  const ms = () => Math.round(performance.now() - began);
  const position = path[path.length - 1] as number;
  const hop = chain.hops[position] as Hop;
  let socket: Duplex;
  try {
    socket = await chain.connectThrough(path, undefined, { timeoutMs });
  } catch (error) {
    const detail = error instanceof ChainError ? error.code : 'failed';
    return { outcome: { kind: 'unreached', detail, inProtocol: false, ms: ms() } };
  }
  const dest = { host: near.host, port: 0 };
  const isHttp = hop.protocol === 'http' || hop.protocol === 'https';
  const asked = `${isHttp ? 'CONNECT' : 'request'} ${formatTarget(dest)}`;
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      socket.destroy();
    },
    Math.max(1, timeoutMs - ms()),
  );
  const outcome = (kind: Outcome['kind'], what: string, inProtocol = false): Outcome => ({
    kind,
    detail: `${asked}: ${what}`,
    inProtocol,
    ms: ms(),
  });
  try {
    await handshake(
      socket,
      contextFor(position, hop, dest, () => timeoutMs - ms()),
    );
    return { outcome: outcome('answered', 'tunnel up', true) };
  } catch (error) {
    if (timedOut) return { outcome: outcome('silent', 'no answer') };
    if (!(error instanceof ChainError)) return { outcome: outcome('closed', 'failed') };
    if (error.replyStarted) {
      const inProtocol = error.reason !== 'wrong-protocol' && error.reason !== 'malformed';
      return { outcome: outcome('answered', error.reply ?? error.code, inProtocol) };
    }
    if (error.stage === 'reply') {
      // Closed without a reply after our request (SOCKS): ssh -D's "no", or a reset relayed.
      return { outcome: outcome('closed', error.reply ?? error.code), closedWithoutReply: true };
    }
    const kind = error.reason === 'reset' ? 'reset' : error.reason === 'closed' ? 'closed' : 'silent';
    return { outcome: outcome(kind, `${error.code}${error.stage ? ` at the ${error.stage}` : ''}`) };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** The same handshake through the same hops for `near` itself: a tunnel, or a refusal in the hop's words. */
async function ownAddress(
  chain: Chain,
  path: readonly number[],
  near: Target,
  timeoutMs: number,
): Promise<Outcome> {
  const began = performance.now();
  const ms = () => Math.round(performance.now() - began);
  const asked = `request ${formatTarget(near)}`;
  if (timeoutMs < 20) return { kind: 'silent', detail: `${asked}: no time left`, inProtocol: false, ms: 0 };
  try {
    const socket = await chain.connectThrough(path, near, { timeoutMs });
    socket.destroy();
    return { kind: 'answered', detail: `${asked}: tunnel up`, inProtocol: true, ms: ms() };
  } catch (error) {
    if (!(error instanceof ChainError))
      return { kind: 'closed', detail: `${asked}: failed`, inProtocol: false, ms: ms() };
    // The error names hops by position in chain.hops; where the blamed one sits on the path:
    const at = path.indexOf(error.hopIndex);
    const last = path.length - 1;
    // Blamed on a hop before the one asked (or on reaching it): the prefix failed this time.
    if (at < last || (at === last && error.stage === 'tcp')) {
      return { kind: 'unreached', detail: error.code, inProtocol: false, ms: ms() };
    }
    if (error.replyStarted) {
      const inProtocol = error.reason !== 'wrong-protocol' && error.reason !== 'malformed';
      return { kind: 'answered', detail: `${asked}: ${error.reply ?? error.code}`, inProtocol, ms: ms() };
    }
    const kind = error.reason === 'reset' ? 'reset' : error.reason === 'closed' ? 'closed' : 'silent';
    const stage = error.stage ? ` at the ${error.stage}` : '';
    return { kind, detail: `${asked}: ${error.code}${stage}`, inProtocol: false, ms: ms() };
  }
}

/** A handshake context outside any attempt: the canary keeps its own deadline. */
function contextFor(index: number, hop: Hop, dest: Target, remainingMs: () => number): HopContext {
  return {
    index,
    hop,
    dest,
    next: undefined,
    remainingMs,
    progress: () => {},
    track: () => {},
    auth: { memory: new AuthMemory(), onProxyAuth: undefined },
  };
}
