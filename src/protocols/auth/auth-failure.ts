/**
 * The words for a CONNECT that ends in 401/407, from what was sent and what the proxy
 * offered: rejected credentials (AUTH_FAILED, naming the scheme that carried them), missing
 * ones (AUTH_REQUIRED), or a proxy that only offers schemes sockschain cannot answer by
 * itself (AUTH_UNSUPPORTED: no password was checked, so none should be blamed).
 */
import type { ChainError } from '../../errors.js';
import { type HopContext, hopError } from '../context.js';
import type { ResponseHead } from '../http-response.js';
import { parseChallenges, pickDigest } from './digest.js';

export interface AuthOutcome {
  /** What carried the last credentials: a scheme, the hook's headers, or nothing. */
  sent: 'basic' | 'digest' | 'ntlm' | 'hook' | undefined;
  /** Schemes the proxy offered, lower-case. */
  offered: readonly string[];
  credentials: boolean;
  hook: boolean;
}

const NAMES: Record<string, string> = {
  basic: 'Basic',
  digest: 'Digest',
  ntlm: 'NTLM',
  negotiate: 'Negotiate',
};
const name = (scheme: string) => NAMES[scheme] ?? scheme;

export function authFailure(ctx: HopContext, head: ResponseHead, outcome: AuthOutcome): ChainError {
  const reply = `HTTP ${head.status}${head.reason ? ` ${head.reason}` : ''}`;
  const offered = outcome.offered;
  // A 401/407 came back: the exchange stopped at authentication, with a reply.
  const answered = { reply, stage: 'auth', replyStarted: true } as const;
  const list = offered.length > 0 ? offered.map(name).join(', ') : 'none named';
  const answerable = offered.filter(
    (s) => s === 'basic' || s === 'ntlm' || (s === 'digest' && usableDigest(head)),
  );
  if (head.status === 407 && offered.length > 0 && answerable.length === 0 && outcome.sent !== 'hook') {
    return hopError(ctx, 'AUTH_UNSUPPORTED', 'auth', `${unsupported(offered, head)} (${reply})`, answered);
  }
  if (outcome.sent !== undefined) {
    const what = outcome.sent === 'hook' ? "onProxyAuth's credentials" : `${name(outcome.sent)} credentials`;
    return hopError(ctx, 'AUTH_FAILED', 'auth', `${what} rejected (${reply}; offered: ${list})`, answered);
  }
  if (outcome.credentials) {
    // Credentials held back: the hop's auth.scheme (or preemptive: false) allows none of the offered schemes.
    return hopError(
      ctx,
      'AUTH_UNSUPPORTED',
      'auth',
      `the proxy offers ${list}, which this hop's auth settings do not allow (${reply})`,
      answered,
    );
  }
  return hopError(
    ctx,
    'AUTH_REQUIRED',
    'auth',
    `proxy wants credentials (${reply}, scheme ${list})`,
    answered,
  );
}

function usableDigest(head: ResponseHead): boolean {
  const digest = pickDigest(parseChallenges(head.headers.get('proxy-authenticate') ?? []));
  return digest !== null && !('unsupported' in digest);
}

function unsupported(offered: readonly string[], head: ResponseHead): string {
  const digest = pickDigest(parseChallenges(head.headers.get('proxy-authenticate') ?? []));
  const detail = digest && 'unsupported' in digest ? ` (Digest with ${digest.unsupported})` : '';
  const what = `the proxy offers only ${offered.map(name).join(', ')}${detail}, which sockschain does not answer by itself`;
  return offered.includes('negotiate')
    ? `${what}: for Negotiate (Kerberos), give an onProxyAuth hook that returns the SPNEGO token (docs/hops.md#negotiate-kerberos)`
    : `${what}: give an onProxyAuth hook that answers it (docs/hops.md#the-auth-hook)`;
}
