/**
 * ChainError: the one error type the library throws. Every failure names a stable `code`,
 * the hop it happened at (0-based `hopIndex`, -1 when no hop is involved), that hop's URL
 * with the password redacted, and the `phase` of the attempt. Nothing here ever holds a
 * credential: causes from dependencies are re-created from their message only.
 */

export const ERROR_CODES = [
  'INVALID_CONFIG',
  'HOP_UNREACHABLE',
  'HOP_TIMEOUT',
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'AUTH_UNSUPPORTED',
  'PROXY_DENIED',
  'TARGET_UNREACHABLE',
  'DNS_FAILED',
  'PROTOCOL_ERROR',
  'TLS_FAILED',
  'ABORTED',
] as const;

export type ChainErrorCode = (typeof ERROR_CODES)[number];

/** Where in an attempt the failure happened. */
export type Phase = 'config' | 'tcp' | 'tls' | 'auth' | 'handshake';

/**
 * Where the exchange with the blamed hop stopped: reaching its port (`tcp`), the TLS hello
 * of an https hop, the SOCKS5 method `greeting`, the credentials exchange (`auth`: RFC 1929,
 * or an HTTP 407), the connect `request` before a readable answer, or its `reply` (the hop
 * answered the request, and the answer is the failure).
 */
export type Stage = 'tcp' | 'tls' | 'greeting' | 'auth' | 'request' | 'reply';

/**
 * A typed detail the code alone does not carry, for consumers that must tell causes apart
 * without reading messages: how a destination failed as reported by a hop (`refused`,
 * `unreachable`, `timeout`, `failed`), how a hop stopped talking (`closed`, `reset`, `silent`),
 * or what kind of answer it gave (`wrong-protocol`, `no-acceptable-method`, `method-not-allowed`,
 * `userid`, `malformed`).
 */
export type FailureReason =
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'failed'
  | 'closed'
  | 'reset'
  | 'silent'
  | 'wrong-protocol'
  | 'malformed'
  | 'no-acceptable-method'
  | 'method-not-allowed'
  | 'userid';

export interface ChainErrorInit {
  code: ChainErrorCode;
  message: string;
  hopIndex?: number;
  hop?: string;
  phase: Phase;
  /** Defaults from the phase: config/tcp/tls as they are, auth → auth, handshake → request. */
  stage?: Stage | undefined;
  replyStarted?: boolean | undefined;
  reason?: FailureReason | undefined;
  /** The destination being reached when it failed: the next hop or the final target. */
  target?: string;
  /** The proxy's own words, e.g. `HTTP 407 Proxy Authentication Required` or `SOCKS5 reply 0x02`. */
  reply?: string;
  cause?: unknown;
  /** @internal See ChainError.closedOnChallenge. */
  closedOnChallenge?: boolean | undefined;
}

export class ChainError extends Error {
  override name = 'ChainError';
  readonly code: ChainErrorCode;
  readonly hopIndex: number;
  readonly hop: string | undefined;
  readonly phase: Phase;
  readonly target: string | undefined;
  readonly reply: string | undefined;
  /** Where the exchange with the blamed hop stopped; undefined for config errors and aborts. */
  readonly stage: Stage | undefined;
  /** Whether any byte of the blamed hop's answer arrived at that stage. */
  readonly replyStarted: boolean;
  readonly reason: FailureReason | undefined;
  /**
   * @internal The HTTP proxy would not keep the connection after its 407 challenge (it
   * closed it, or said it would), so the answer could not follow on it. The challenge is
   * known now: the chain opens the tunnel once more at once (chain/failover.ts). Not in
   * toJSON: it is how the chain decides, not a fact for the user.
   */
  readonly closedOnChallenge: boolean;

  constructor(init: ChainErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: safeCause(init.cause) });
    this.code = init.code;
    this.hopIndex = init.hopIndex ?? -1;
    this.hop = init.hop;
    this.phase = init.phase;
    this.target = init.target;
    this.reply = init.reply;
    this.stage = init.stage ?? defaultStage(init.phase, init.code);
    this.replyStarted = init.replyStarted ?? init.reply !== undefined;
    this.reason = init.reason;
    this.closedOnChallenge = init.closedOnChallenge ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      hopIndex: this.hopIndex,
      hop: this.hop,
      phase: this.phase,
      target: this.target,
      reply: this.reply,
      stage: this.stage,
      replyStarted: this.replyStarted,
      reason: this.reason,
      causeCode: causeCode(this.cause),
    };
  }
}

function defaultStage(phase: Phase, code: ChainErrorCode): Stage | undefined {
  if (phase === 'config' || code === 'ABORTED') return undefined;
  if (phase === 'handshake') return 'request';
  return phase;
}

/** The errno-style code of a cause (`ECONNREFUSED`, `CERT_HAS_EXPIRED`), for JSON. */
function causeCode(cause: unknown): string | undefined {
  if (cause instanceof ChainError) return cause.code;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isChainError(value: unknown): value is ChainError {
  return value instanceof ChainError;
}

/** Errno codes of a connect that a firewall (or routing) answered with ICMP. */
export const ICMP_ERRNOS: ReadonlySet<string> = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM']);

/**
 * Whatever was thrown, as a ChainError (the only kind that is safe to print): a ChainError as
 * it is. Anything else is either a failure to reach `target` (what a `serve` listener's custom
 * `connect` threw), told by its errno, or, without a target, the odd other error out of a
 * chain, in its own words.
 */
/** Errno codes of a failed name lookup (getaddrinfo). */
const DNS_ERRNOS: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);

/** The code of a failed TCP connect to a target by its errno: a name that did not resolve, or not reached. */
export function connectFailureCode(errno: string | undefined): 'DNS_FAILED' | 'TARGET_UNREACHABLE' {
  return DNS_ERRNOS.has(errno ?? '') ? 'DNS_FAILED' : 'TARGET_UNREACHABLE';
}

/** What the errno of a failed TCP connect says happened on the path (docs/errors.md, `reason`). */
export function connectFailureReason(errno: string | undefined): FailureReason | undefined {
  if (errno === 'ECONNREFUSED') return 'refused';
  if (errno === 'ETIMEDOUT') return 'timeout';
  return ICMP_ERRNOS.has(errno ?? '') ? 'unreachable' : undefined;
}

export function asChainError(error: unknown, target?: string): ChainError {
  if (error instanceof ChainError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (target === undefined)
    return new ChainError({ code: 'PROTOCOL_ERROR', phase: 'handshake', message: text });
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new ChainError({
    code: connectFailureCode(code),
    phase: 'tcp',
    target,
    reason: connectFailureReason(code),
    message: `cannot reach ${target}: ${code ?? text}`,
    cause: error,
  });
}

/**
 * Keeps a cause's code and message but drops every other property: dependencies (the
 * `socks` package among them) attach their whole options object, password included.
 */
function safeCause(cause: unknown): unknown {
  if (cause instanceof ChainError) return cause;
  if (cause instanceof Error) {
    const clean = new Error(cause.message);
    clean.name = cause.name;
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string') Object.assign(clean, { code });
    clean.stack = `${clean.name}: ${clean.message}`;
    return clean;
  }
  if (typeof cause === 'string') return new Error(cause);
  return undefined;
}

/** A bad option value, rendered for a message without calling anything on it (it may be hostile). */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}
