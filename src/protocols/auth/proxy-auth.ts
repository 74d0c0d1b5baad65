/**
 * The Proxy-Authorization of each CONNECT to an HTTP hop, over the rounds of one
 * connection: Basic up front or once asked for (HopAuth.preemptive), Digest (one round
 * trip; the chain remembers the challenge, see memory.ts), NTLM (negotiate, then authenticate on
 * the SAME connection: NTLM authenticates the connection, not the request), and the
 * `onProxyAuth` hook for everything else. Each scheme is tried at most once per CONNECT,
 * so a refusal ends in one typed error (auth-failure.ts) instead of a loop.
 */
import type { HopAuth, ProxyAuthAnswer, ProxyAuthHook } from '../../hop-auth.js';
import { type HopContext, hopError } from '../context.js';
import type { ResponseHead } from '../http-response.js';
import { authFailure } from './auth-failure.js';
import { basicAuthorization } from './basic.js';
import { type Challenge, digestAuthorization, parseChallenges, pickDigest } from './digest.js';
import { authenticateMessage, NtlmFormatError, negotiateMessage, parseChallenge } from './ntlm.js';

/** The schemes answered here, strongest first. */
const OWN = ['digest', 'ntlm', 'basic'] as const;
type Own = (typeof OWN)[number];

/** Hook calls per CONNECT: enough for a multi-round scheme, not enough to loop forever. */
const MAX_HOOK_CALLS = 4;

export type AuthHeaders = Record<string, string>;

export class ProxyAuth {
  readonly #ctx: HopContext;
  readonly #uri: string;
  readonly #auth: HopAuth;
  #user: string | undefined;
  #password: string | undefined;
  #ntlm = { user: '', domain: '', workstation: '' };
  readonly #tried = new Set<Own | 'hook'>();
  #last: Own | 'hook' | undefined;
  #ntlmNegotiated = false;
  #hookCalls = 0;
  #offered: string[] = [];

  constructor(ctx: HopContext, uri: string) {
    this.#ctx = ctx;
    this.#uri = uri;
    this.#auth = ctx.hop.auth;
    this.#user = ctx.hop.username;
    this.#password = ctx.hop.password;
    this.#ntlm = {
      user: this.#auth.ntlmUser,
      domain: this.#auth.domain,
      workstation: this.#auth.workstation,
    };
  }

  get credentials(): boolean {
    return this.#user !== undefined || this.#password !== undefined;
  }

  /** Proxy-Authorization for the first CONNECT, if any. */
  first(): string | undefined {
    if (!this.credentials) return undefined;
    const offered = this.#ctx.auth?.memory.offered(this.#ctx.hop.url);
    const { scheme } = this.#auth;
    if (scheme === 'ntlm' || (scheme === 'auto' && offered && best(offered) === 'ntlm'))
      return this.#ntlmStart();
    if (scheme === 'auto' || scheme === 'digest') {
      // A remembered Digest challenge, unless the hop's last 407 no longer offered Digest.
      const known =
        offered && !offered.includes('digest')
          ? undefined
          : this.#ctx.auth?.memory.knownDigest(this.#ctx.hop.url);
      if (known) return this.#send('digest', this.#digest(known.challenge, known.nc));
      if (scheme === 'digest') return undefined;
    }
    // Basic never goes again to a hop that offered only other schemes.
    const basic = offered ? offered.includes('basic') : this.#auth.preemptive;
    return basic ? this.#send('basic', this.#basic()) : undefined;
  }

  /** After a 407: the headers of one more CONNECT on the same connection, or undefined when the reply stands. */
  async answer(head: ResponseHead): Promise<AuthHeaders | undefined> {
    if (head.status !== 407) return undefined;
    const challenges = parseChallenges(head.headers.get('proxy-authenticate') ?? []);
    this.#offered = [...new Set(challenges.map((c) => c.scheme))];
    this.#ctx.auth?.memory.remember(this.#ctx.hop.url, this.#offered);
    if (this.#last === 'ntlm' && this.#ntlmNegotiated) {
      const token = challenges.find((c) => c.scheme === 'ntlm' && c.token68 !== undefined)?.token68;
      this.#ntlmNegotiated = false;
      if (token !== undefined) return { 'Proxy-Authorization': this.#ntlmAuthenticate(token) };
    }
    const own = this.#own(challenges);
    if (own !== undefined) return { 'Proxy-Authorization': own };
    return this.#hook(challenges);
  }

  /**
   * A 407 to a pipelined CONNECT cannot be answered on its connection (the bytes after it
   * are on their way): its Digest challenge is remembered for the chain, so that its next
   * CONNECT to this hop carries Digest at once.
   */
  rememberChallenge(head: ResponseHead): void {
    const scheme = this.#auth.scheme;
    if (head.status !== 407 || !this.credentials || (scheme !== 'auto' && scheme !== 'digest')) return;
    const digest = pickDigest(parseChallenges(head.headers.get('proxy-authenticate') ?? []));
    if (digest === null || 'unsupported' in digest) return;
    // Our Digest was refused, and not for a stale nonce: wrong credentials, nothing to learn.
    if (this.#last === 'digest' && !digest.stale) return;
    this.#ctx.auth?.memory.rememberDigest(this.#ctx.hop.url, digest);
  }

  /** The error for a final 401/407. */
  failure(head: ResponseHead): Error {
    return authFailure(this.#ctx, head, {
      sent: this.#last,
      offered: this.#offered.length > 0 ? this.#offered : schemesOf(head),
      credentials: this.credentials,
      hook: this.#hookFn() !== undefined,
    });
  }

  #own(challenges: Challenge[]): string | undefined {
    if (!this.credentials) return undefined;
    const wanted = this.#auth.scheme;
    for (const scheme of OWN) {
      if (wanted !== 'auto' && wanted !== scheme) continue;
      if (!challenges.some((c) => c.scheme === scheme)) continue;
      if (scheme === 'digest') {
        const digest = pickDigest(challenges);
        if (digest === null || 'unsupported' in digest) continue;
        // Our Digest was refused, and not for a stale nonce: wrong credentials.
        if (this.#tried.has('digest') && !digest.stale) continue;
        this.#ctx.auth?.memory.rememberDigest(this.#ctx.hop.url, digest);
        return this.#send('digest', this.#digest(digest, 1));
      }
      if (this.#tried.has(scheme)) continue;
      return scheme === 'ntlm' ? this.#ntlmStart() : this.#send('basic', this.#basic());
    }
    return undefined;
  }

  async #hook(challenges: Challenge[]): Promise<AuthHeaders | undefined> {
    const hook = this.#hookFn();
    if (!hook || this.#hookCalls >= MAX_HOOK_CALLS) return undefined;
    this.#hookCalls += 1;
    const request = {
      hopIndex: this.#ctx.index,
      hop: this.#ctx.hop.url,
      challenges: challenges.map((c) => ({ ...c, params: { ...c.params } })),
      attempt: this.#hookCalls,
    };
    let result: ProxyAuthAnswer;
    try {
      result = await hook(request);
    } catch (error) {
      throw hopError(this.#ctx, 'AUTH_FAILED', 'auth', 'onProxyAuth threw', { cause: error });
    }
    if (result === undefined || result === null) return undefined;
    if ('headers' in result) {
      this.#last = 'hook';
      this.#tried.add('hook');
      return checkedHeaders(result.headers, this.#ctx);
    }
    if (typeof result.username !== 'string' || typeof result.password !== 'string') {
      throw hopError(
        this.#ctx,
        'INVALID_CONFIG',
        'auth',
        'onProxyAuth must return { headers }, { username, password } or undefined',
      );
    }
    // New credentials: every scheme may be tried once more with them.
    this.#user = result.username;
    this.#password = result.password;
    const slash = result.username.indexOf('\\');
    const domain = result.domain ?? (slash > 0 ? result.username.slice(0, slash) : '');
    const user =
      result.domain === undefined && slash > 0 ? result.username.slice(slash + 1) : result.username;
    this.#ntlm = { user, domain, workstation: result.workstation ?? this.#auth.workstation };
    this.#tried.clear();
    const own = this.#own(challenges);
    return own === undefined ? undefined : { 'Proxy-Authorization': own };
  }

  #hookFn(): ProxyAuthHook | undefined {
    return this.#auth.onProxyAuth ?? this.#ctx.auth?.onProxyAuth;
  }

  #send(scheme: Own, value: string): string {
    this.#tried.add(scheme);
    this.#last = scheme;
    return value;
  }

  #basic(): string {
    return basicAuthorization(this.#user ?? '', this.#password ?? '');
  }

  #digest(challenge: Parameters<typeof digestAuthorization>[0]['challenge'], nc: number): string {
    return digestAuthorization({
      username: this.#user ?? '',
      password: this.#password ?? '',
      method: 'CONNECT',
      uri: this.#uri,
      challenge,
      nc,
    });
  }

  #ntlmStart(): string {
    this.#ntlmNegotiated = true;
    return this.#send('ntlm', `NTLM ${negotiateMessage().toString('base64')}`);
  }

  #ntlmAuthenticate(token: string): string {
    let challenge: ReturnType<typeof parseChallenge>;
    try {
      challenge = parseChallenge(Buffer.from(token, 'base64'));
    } catch (error) {
      const why = error instanceof NtlmFormatError ? error.message : 'unreadable';
      throw hopError(this.#ctx, 'PROTOCOL_ERROR', 'auth', `the proxy's NTLM challenge is ${why}`, {
        reply: 'HTTP 407',
      });
    }
    const message = authenticateMessage({ ...this.#ntlm, password: this.#password ?? '' }, challenge);
    return `NTLM ${message.toString('base64')}`;
  }
}

function best(offered: readonly string[]): Own | undefined {
  return OWN.find((scheme) => offered.includes(scheme));
}

function schemesOf(head: ResponseHead): string[] {
  return [...new Set(parseChallenges(head.headers.get('proxy-authenticate') ?? []).map((c) => c.scheme))];
}

/** A hook's headers go on the wire as they are: no line breaks, no header names out of the token set. */
function checkedHeaders(headers: unknown, ctx: HopContext): AuthHeaders {
  const out: AuthHeaders = {};
  if (typeof headers !== 'object' || headers === null) {
    throw hopError(ctx, 'INVALID_CONFIG', 'auth', 'onProxyAuth returned headers that are not an object');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw hopError(
        ctx,
        'INVALID_CONFIG',
        'auth',
        'onProxyAuth returned a header that cannot be sent (bad name, or a line break in its value)',
      );
    }
    out[name] = value;
  }
  return out;
}
