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

type Handler = Dispatcher.DispatchHandler;
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
   */
  track(key: string, handler: Handler): Handler {
    const target = handler as Record<string, unknown>;
    this.#waiting.set(key, (this.#waiting.get(key) ?? 0) + 1);
    let waiting = true;
    let real: Abort | undefined;
    let aborted: Error | undefined;
    const leave = (cancelled: boolean) => {
      if (!waiting) return;
      waiting = false;
      this.#leave(key, cancelled);
    };
    const call = (name: string, args: unknown[]): unknown => {
      const method = target[name];
      return typeof method === 'function' ? method.apply(handler, args) : undefined;
    };
    const modern = typeof target.onRequestStart === 'function';
    const started =
      (name: string) =>
      (...args: unknown[]) => {
        leave(false);
        return call(name, args);
      };
    const overrides: Record<string, (...args: unknown[]) => unknown> = modern
      ? { onRequestStart: started('onRequestStart'), onResponseError: started('onResponseError') }
      : {
          // undici's own abort, once the request runs on a connection: ours forwards to it.
          onConnect: (abort) => {
            real = abort as Abort;
            leave(false);
            if (aborted) real(aborted);
          },
          onError: started('onError'),
        };
    if (!modern && typeof target.onConnect === 'function') {
      const early: Abort = (reason) => {
        if (real) return real(reason);
        if (aborted) return;
        aborted = reason ?? new Error('the request was aborted');
        leave(true);
      };
      call('onConnect', [early]);
    }
    return new Proxy(target, {
      get(object, name) {
        if (typeof name === 'string' && Object.hasOwn(overrides, name)) return overrides[name];
        const value = Reflect.get(object, name);
        return typeof value === 'function' ? value.bind(object) : value;
      },
    }) as Handler;
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

  #leave(key: string, cancelled: boolean): void {
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
