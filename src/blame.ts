/**
 * Whose fault, and which cause: the one place that turns a ChainError's typed facts (code,
 * hop, stage, whether a reply began, reason, the errno of its cause) into the link to look
 * at, a cause from a small documented set, the side that decides the exit status, and one
 * sentence of remedy. probe, check, fetch, serve's replies and the chain modes' dead-hop
 * logic all read it; nothing here reads a message. Sits on the lowest floor (it imports only
 * errors.ts and its sentences in remedies.ts, and its vocabulary in causes.ts) so that every floor above may use it.
 */
import type { Cause, Facts, Link, Side } from './causes.js';
import { ICMP_ERRNOS } from './errors.js';
import { remedyFor } from './remedies.js';

export { CAUSES, type Cause, type Facts, type Link, type Side } from './causes.js';

export interface Blame {
  side: Side;
  link: Link;
  cause: Cause;
  /** Whether the blamed hop is down (a mode may leave it out), rather than refusing us. */
  hopDown: boolean;
  remedy: string;
}

export interface ChainShape {
  /** Hops in the attempt (the last one's index is hopCount - 1). */
  hopCount: number;
  /** `host:port` of the final target, to tell a silent target from a silent hop. */
  finalTarget?: string | undefined;
  /** The hop before hop k in the attempt's path, when not k - 1 (modes pick hops). */
  before?: ((index: number) => number | null) | undefined;
}

/** TLS verification codes that say "issued by someone we do not trust". */
const UNKNOWN_ISSUER: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

export function errnoOf(error: { cause?: unknown }): string | undefined {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function blame(error: Facts, shape: ChainShape): Blame {
  const cause = causeOf(error, shape);
  const side = sideOf(error, cause);
  const index = error.hopIndex;
  const before = (k: number) => (shape.before ? shape.before(k) : k > 0 ? k - 1 : null);
  const link: Link =
    side === 'config' || index < 0
      ? { from: null, to: null }
      : side === 'target'
        ? { from: index, to: null }
        : { from: before(index), to: index };
  return {
    side,
    link,
    cause,
    hopDown: side === 'hop' && index >= 0 && !REFUSING.has(cause),
    remedy: remedyFor(cause, error, link),
  };
}

/** Causes where the hop works and says no (or the caller gave up): not a dead hop. */
const REFUSING: ReadonlySet<Cause> = new Set([
  'credentials-rejected',
  'credentials-required',
  'proxy-denied',
  'aborted',
  'config',
]);

function sideOf(error: Facts, cause: Cause): Side {
  if (cause === 'config') return 'config';
  if (cause === 'target-filtered' || cause === 'target-refused') return 'target';
  // phase 'tcp' is a hop's own name; 'handshake' (remote) or 'config' (dns: 'local') the target's.
  if (cause === 'dns-failed') return error.phase === 'tcp' ? 'hop' : 'target';
  return 'hop';
}

function causeOf(error: Facts, shape: ChainShape): Cause {
  switch (error.code) {
    case 'INVALID_CONFIG':
      return 'config';
    case 'ABORTED':
      return 'aborted';
    case 'HOP_UNREACHABLE':
      if (error.reason === 'unreachable' || ICMP_ERRNOS.has(errnoOf(error) ?? '')) return 'firewall-rejected';
      return 'refused';
    case 'HOP_TIMEOUT':
      return silence(error, shape);
    case 'AUTH_REQUIRED':
      return 'credentials-required';
    case 'AUTH_FAILED':
      return 'credentials-rejected';
    case 'AUTH_UNSUPPORTED':
      return 'auth-unsupported';
    case 'PROXY_DENIED':
      return 'proxy-denied';
    case 'TARGET_UNREACHABLE':
      return error.reason === 'timeout' ? 'target-filtered' : 'target-refused';
    case 'DNS_FAILED':
      return 'dns-failed';
    case 'TLS_FAILED':
      if (error.reason === 'closed' || error.reason === 'reset') return 'tls-blocked';
      // A chain of trust that does not end at a CA we know: a re-signing interceptor, or a
      // missing CA. Expired or for another name: the certificate itself.
      return UNKNOWN_ISSUER.has(errnoOf(error) ?? '') ? 'tls-intercepted' : 'tls-untrusted';
    case 'PROTOCOL_ERROR':
      return unreadable(error);
  }
}

/** A timeout: which exchange got no answer. */
function silence(error: Facts, shape: ChainShape): Cause {
  if (error.stage === 'tcp') return 'filtered';
  if (error.replyStarted) return 'stalled';
  switch (error.stage) {
    case 'tls':
      return 'tls-blocked';
    case 'greeting':
      return 'protocol-blocked';
    case 'auth':
      return 'credentials-blocked';
    case 'request':
      // The last hop was asked for the target and never answered: the target is filtered.
      return error.hopIndex === shape.hopCount - 1 &&
        error.target !== undefined &&
        (shape.finalTarget === undefined || error.target === shape.finalTarget)
        ? 'target-filtered'
        : 'protocol-blocked';
    default:
      return 'stalled';
  }
}

/** A PROTOCOL_ERROR: bytes of another protocol, or a connection cut before any answer. */
function unreadable(error: Facts): Cause {
  if (error.phase === 'tls' || error.reason === 'wrong-protocol' || error.reason === 'malformed') {
    return 'wrong-protocol';
  }
  if (error.stage === 'reply') return 'unknown';
  if (error.replyStarted) return 'stalled';
  // Cut before any answer: a reset is what an inspecting firewall sends; a plain close is
  // more often a server of another protocol giving up on our bytes.
  if (error.reason === 'reset') return error.stage === 'auth' ? 'credentials-blocked' : 'protocol-blocked';
  return error.stage === 'auth' ? 'credentials-blocked' : 'wrong-protocol';
}

/** "this machine → hop 1", "hop 1 → hop 2", "hop 3 → target" (1-based, as in messages). */
export function linkLabel(link: Link): string {
  const end = (k: number | null, none: string) => (k === null ? none : `hop ${k + 1}`);
  return `${end(link.from, 'this machine')} → ${end(link.to, 'target')}`;
}
