/**
 * Tunnels the dispatcher opens are tied to the requests waiting for them. undici gives a
 * connector no signal, and fetch learns how to abort its request only when undici calls the
 * handler's onConnect, once a connection is there: a fetch aborted while its tunnel opened
 * rejected at once but left the tunnel opening (and the proxies' sockets open) until the
 * chain's deadline. So each request's handler is handed an abort of ours at dispatch time
 * (fetch stores it and calls it on abort); the requests waiting for a connection are counted
 * per origin, and when the last one waiting for an origin is aborted, the tunnels opening
 * for that origin are aborted too. Requests that still wait keep their tunnels.
 */
import type { Dispatcher } from 'undici';
import { handlerStyle, LegacyForwarder, ModernForwarder } from './handler-forwarding.js';

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
type Abort = (reason?: Error) => void;

/** The key of an origin, the same from a dispatch's origin and from a connector's options. */
export function originKey(protocol: string, hostname: string, port: string | number | undefined): string {
  const fallback = protocol === 'https:' ? 443 : 80;
  return `${protocol}//${hostname}:${Number(port) || fallback}`;
}

export class WaitingRequests {
  readonly #waiting = new Map<string, number>();
  readonly #openings = new Map<string, Set<(reason: Error) => void>>();

  /**
   * Counts the request as waiting for a connection to `key` until undici starts it (or it
   * fails). Legacy-style handlers (fetch's) also get an abort now, which cancels the wait.
   * `upgrade`: the request upgrades (or is a CONNECT), which undici checks the handler for.
   * A legacy handler undici would refuse is passed on as it is, for undici to refuse.
   */
  track(key: string, handler: Handler, upgrade = false): Handler {
    const style = handlerStyle(handler, upgrade);
    if (style === undefined) return handler;
    this.#waiting.set(key, (this.#waiting.get(key) ?? 0) + 1);
    return style === 'modern' ? new ModernWaiter(handler, this, key) : new LegacyWaiter(handler, this, key);
  }
  /**
   * Registers a tunnel opening for `key`; `cancel` aborts it. Returns the function that
   * unregisters it. (undici calls its connector synchronously from dispatch, after track().)
   */
  opening(key: string, cancel: (reason: Error) => void): () => void {
    const set = this.#openings.get(key) ?? new Set();
    set.add(cancel);
    this.#openings.set(key, set);
    return () => {
      set.delete(cancel);
      if (set.size === 0 && this.#openings.get(key) === set) this.#openings.delete(key);
    };
  }

  /** The request stopped waiting for `key`: it started, failed, or (`cancelled`) was aborted. */
  leave(key: string, cancelled: boolean): void {
    const count = (this.#waiting.get(key) ?? 1) - 1;
    if (count > 0) {
      this.#waiting.set(key, count);
      return;
    }
    this.#waiting.delete(key);
    if (!cancelled) return;
    const reason = new Error('every request waiting for the tunnel was aborted');
    for (const cancel of this.#openings.get(key) ?? []) cancel(reason);
  }
}

/** A modern-style request: waits until onRequestStart or onResponseError. */
class ModernWaiter extends ModernForwarder {
  readonly #requests: WaitingRequests;
  readonly #key: string;
  #waiting = true;

  constructor(handler: Handler, requests: WaitingRequests, key: string) {
    super(handler);
    this.#requests = requests;
    this.#key = key;
  }

  override onRequestStart(controller: Controller, context: unknown): unknown {
    this.#leave();
    return super.onRequestStart(controller, context);
  }

  override onResponseError(controller: Controller, error: Error): unknown {
    this.#leave();
    return super.onResponseError(controller, error);
  }

  #leave(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#requests.leave(this.#key, false);
  }
}

/**
 * A legacy-style request: waits until undici's onConnect or onError. Its handler was given our
 * abort at once (fetch keeps it and calls it on abort); undici's own, given later, replaces it.
 */
class LegacyWaiter extends LegacyForwarder {
  readonly #requests: WaitingRequests;
  readonly #key: string;
  #waiting = true;
  /** undici's abort, once the request runs on a connection: ours forwards to it. */
  #real: Abort | undefined;
  #aborted: Error | undefined;

  constructor(handler: Handler, requests: WaitingRequests, key: string) {
    super(handler);
    this.#requests = requests;
    this.#key = key;
    if (typeof this.handler.onConnect === 'function') this.handler.onConnect((reason) => this.#abort(reason));
  }

  override onConnect(abort: Abort): void {
    this.#real = abort;
    this.#leave(false);
    if (this.#aborted) abort(this.#aborted);
  }

  override onError(error: Error): unknown {
    this.#leave(false);
    return super.onError(error);
  }

  #abort(reason: Error | undefined): void {
    if (this.#real) {
      this.#real(reason);
      return;
    }
    if (this.#aborted) return;
    this.#aborted = reason ?? new Error('the request was aborted');
    this.#leave(true);
  }

  #leave(cancelled: boolean): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#requests.leave(this.#key, cancelled);
  }
}
