/**
 * In absolute-form the last hop answers the request itself. A 407 can only come from that
 * hop (an origin never sends it), so it is turned into the ChainError a CONNECT would have
 * given (AUTH_REQUIRED or AUTH_FAILED at that hop) instead of reaching the application as
 * a response. Other statuses (403, 502...) may be the origin's own and are passed through.
 */
import type http from 'node:http';
import type { Dispatcher } from 'undici';
import { ChainError } from '../errors.js';
import type { Hop } from '../hop.js';
import { handlerStyle, LegacyForwarder, ModernForwarder } from './handler-forwarding.js';

/** `reason`: the status text; `challenge`: the Proxy-Authenticate value, if any. */
export type ProxyAuthError = (reason: string | undefined, challenge: string | undefined) => ChainError;

/** Builds the error for a 407 from `hop` (at `index`) while requesting `target`. */
export function proxyAuthError(hop: Hop, index: number, target: string): ProxyAuthError {
  const credentials = hop.username !== undefined || hop.password !== undefined;
  return (reason, challenge) => {
    const reply = `HTTP 407${reason ? ` ${reason}` : ''}`;
    // Absolute-form requests carry Basic credentials; Digest needs CONNECT's challenge round.
    const hint = /^\s*digest\b/i.test(challenge ?? '')
      ? `; it wants Digest, which absolute-form requests do not answer: use forwarding: 'connect'`
      : '';
    return new ChainError({
      code: credentials ? 'AUTH_FAILED' : 'AUTH_REQUIRED',
      phase: 'auth',
      hopIndex: index,
      hop: hop.url,
      target,
      reply,
      message: `hop ${index + 1} (${hop.url}): ${credentials ? 'credentials rejected' : 'proxy wants credentials'} (${reply})${hint}`,
    });
  };
}

/** node:http: a 407 response becomes the request's 'error'. */
export function guardClientRequest(req: http.ClientRequest, makeError: ProxyAuthError): void {
  const emit = req.emit;
  req.emit = function (this: http.ClientRequest, event: string | symbol, ...args: unknown[]): boolean {
    const res = args[0] as http.IncomingMessage | undefined;
    if (event !== 'response' || res?.statusCode !== 407) return emit.call(this, event, ...args);
    req.emit = emit;
    // Once a response exists node:http reports socket errors on it, not on the request:
    // report this one on the request ourselves, then drop the connection quietly.
    res.on('error', () => {});
    emit.call(this, 'error', makeError(res.statusMessage, String(res.headers['proxy-authenticate'] ?? '')));
    req.destroy();
    res.destroy();
    return true;
  } as typeof req.emit;
}

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
type Headers = Parameters<NonNullable<Handler['onResponseStart']>>[2];

/**
 * undici: wraps a dispatch handler, in either of undici's handler styles (fetch of older
 * undici versions uses the legacy one), so that a 407 aborts the request with the error.
 * A legacy handler undici would refuse is passed on as it is.
 */
export function guardHandler(handler: Handler, makeError: ProxyAuthError): Handler {
  const style = handlerStyle(handler, false);
  if (style === 'modern') return new ModernGuard(handler, makeError);
  return style === 'legacy' ? new LegacyGuard(handler, makeError) : handler;
}

class LegacyGuard extends LegacyForwarder {
  readonly #makeError: ProxyAuthError;
  #abort: ((reason: Error) => void) | undefined;

  constructor(handler: Handler, makeError: ProxyAuthError) {
    super(handler);
    this.#makeError = makeError;
  }

  override onConnect(abort: (reason?: Error) => void, context?: unknown): unknown {
    this.#abort = abort;
    return super.onConnect(abort, context);
  }

  override onHeaders(status: number, raw: Buffer[], resume: () => void, message: string): boolean {
    if (status !== 407) return super.onHeaders(status, raw, resume, message);
    this.#abort?.(this.#makeError(message, rawHeader(raw, 'proxy-authenticate')));
    return false;
  }
}

class ModernGuard extends ModernForwarder {
  readonly #makeError: ProxyAuthError;

  constructor(handler: Handler, makeError: ProxyAuthError) {
    super(handler);
    this.#makeError = makeError;
  }

  override onResponseStart(
    controller: Controller,
    status: number,
    headers: Headers,
    message?: string,
  ): unknown {
    if (status !== 407) return super.onResponseStart(controller, status, headers, message);
    const challenge = (headers as Record<string, string | string[] | undefined>)['proxy-authenticate'];
    controller.abort(this.#makeError(message, [challenge ?? []].flat().join(', ')));
  }
}

/** A header from undici's raw [name, value, ...] list (Buffers or strings). */
function rawHeader(raw: ReadonlyArray<Buffer | string> | undefined, name: string): string | undefined {
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}
