/**
 * Cancelling tunnels that are still opening.
 * - Closing: an adapter's own signal, fired by its close() and destroy(), that every tunnel
 *   it opens listens to. Without it close() waited for tunnels still opening (up to their
 *   deadline) and a silent hop kept its socket as long.
 * - watchRequest: a request of the http.Agent destroyed before a socket reached it must stop
 *   its tunnel. node:http tells nothing of it until a socket arrives (no 'close', no 'abort'
 *   for destroy()), and `signal`, req.abort(), got and axios all end in req.destroy(): so
 *   destroy() itself is wrapped.
 * Signals are linked by hand rather than with AbortSignal.any(): an adapter's signal lives as
 * long as the adapter, and on Node 20 AbortSignal.any() over a long-lived signal keeps every
 * signal it made (nodejs/node#55351).
 */
import { setMaxListeners } from 'node:events';
import type http from 'node:http';
import { ChainError, type Phase } from '../errors.js';

/** One tunnel's signal: fired by its adapter's close()/destroy() or by abort(); release() unlinks it. */
export interface Link {
  readonly signal: AbortSignal;
  abort(reason: Error): void;
  release(): void;
}

/** An adapter's signal for the tunnels it opens, fired by its close() and destroy(). */
export class Closing {
  readonly #what: string;
  #controller = unbounded();

  /** `what`: the adapter, as error messages name it ('agent', 'dispatcher'). */
  constructor(what: string) {
    this.#what = what;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborts every tunnel still opening. With `renew`, tunnels opened afterwards are not affected. */
  abort(verb: 'closed' | 'destroyed', renew: boolean): void {
    this.#controller.abort(new Error(`the ${this.#what} was ${verb} while the tunnel was opening`));
    if (renew) this.#controller = unbounded();
  }

  link(): Link {
    const parent = this.signal;
    const controller = new AbortController();
    const forward = () => controller.abort(parent.reason);
    parent.addEventListener('abort', forward, { once: true });
    if (parent.aborted) forward();
    return {
      signal: controller.signal,
      abort: (reason) => controller.abort(reason),
      release: () => parent.removeEventListener('abort', forward),
    };
  }
}

/** Every tunnel opening adds a listener: no MaxListenersExceededWarning for many at once. */
function unbounded(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** A request of the http.Agent, from addRequest on. */
export interface RequestWatch {
  /** Set once the request is destroyed; `error` is what it was destroyed with (an AbortError for `signal`). */
  destroyed: { error: Error | undefined; early: boolean } | undefined;
  /** While a tunnel opens for the request: stops it. */
  cancel: ((reason: Error) => void) | undefined;
}

export function watchRequest(req: http.ClientRequest): RequestWatch {
  // Destroyed before the agent saw it: only a `signal` aborted beforehand does that.
  const watch: RequestWatch = {
    destroyed: req.destroyed ? { error: undefined, early: true } : undefined,
    cancel: undefined,
  };
  const destroy = req.destroy;
  req.destroy = function (this: http.ClientRequest, error?: Error) {
    const first = !this.destroyed && !watch.destroyed;
    const result = destroy.call(this, error);
    if (first) {
      watch.destroyed = { error, early: false };
      watch.cancel?.(error ?? new Error('the request was destroyed'));
    }
    return result;
  } as typeof req.destroy;
  return watch;
}

/**
 * What a request destroyed while its tunnel opened fails with: what node:http reports when a
 * socket was there (the error given to destroy(), e.g. the AbortError of `signal`; else
 * 'socket hang up'), `cause` (the ChainError ABORTED) attached where the error is ours.
 */
export function cancelledRequestError(
  destroyed: NonNullable<RequestWatch['destroyed']>,
  cause: unknown,
): Error {
  if (destroyed.error) return destroyed.error;
  if (destroyed.early) {
    return Object.assign(new Error('The operation was aborted', { cause }), {
      name: 'AbortError',
      code: 'ABORT_ERR',
    });
  }
  return Object.assign(new Error('socket hang up', { cause }), { code: 'ECONNRESET' });
}

/** The ChainError for a tunnel aborted by `signal` during `phase`. */
export function abortedError(signal: AbortSignal, phase: Phase, target?: string): ChainError {
  const reason: unknown = signal.reason;
  return new ChainError({
    code: 'ABORTED',
    phase,
    target,
    message: `aborted during ${phase}${target ? ` with the target ${target}` : ''}${reason instanceof Error ? `: ${reason.message}` : ''}`,
    cause: reason instanceof Error ? reason : undefined,
  });
}

/**
 * Settles as `work` does, or, as soon as `signal` fires, runs `stop` (which tears the work
 * down) and rejects with `aborted()`. A socket `work` yields after that is destroyed.
 */
export function unlessAborted<T extends { destroy(): unknown }>(
  signal: AbortSignal,
  work: Promise<T>,
  stop: () => void,
  aborted: () => Error,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      stop();
      reject(aborted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const finish = (settle: () => void) => {
      signal.removeEventListener('abort', onAbort);
      if (settled) return;
      settled = true;
      settle();
    };
    work.then(
      (value) => {
        if (settled) value.destroy();
        finish(() => resolve(value));
      },
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
