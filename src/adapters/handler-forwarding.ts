/**
 * Wrappers around a caller's undici dispatch handler that pass every callback on and let a
 * subclass step into a few. A Proxy did this before, with a trap and a bound function for
 * every callback of every request (onHeaders, each onData...): about 5 µs of the ~60 µs of
 * client CPU of a keep-alive request through the dispatcher (measured A/B). A class per
 * handler style costs one small object per request.
 * undici tells the two styles apart by `onRequestStart`, so each class has exactly one
 * style's callbacks; callbacks are called on the caller's handler, which may keep private
 * fields.
 */
import type { Dispatcher } from 'undici';

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
type Headers = Parameters<NonNullable<Handler['onResponseStart']>>[2];
type Abort = (reason?: Error) => void;

/** The legacy style's callbacks, as undici's Request calls them (onRequestSent is not in the types). */
export interface LegacyHandler {
  onConnect?(abort: Abort, context?: unknown): void;
  onError?(error: Error): void;
  onUpgrade?(statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: string[] | null): void;
  onBodySent?(chunkSize: number, totalBytesSent: number): void;
  onRequestSent?(): void;
}

/** 'modern' (onRequestStart...), 'legacy', or undefined for a legacy handler undici would refuse. */
export function handlerStyle(handler: Handler, upgrade: boolean): 'modern' | 'legacy' | undefined {
  const h = handler as LegacyHandler & Handler;
  if (typeof h.onRequestStart === 'function') return 'modern';
  // undici's own checks (assertRequestHandler), less onConnect and onError, which wrappers add.
  if (typeof h.onBodySent !== 'function' && h.onBodySent !== undefined) return undefined;
  if (upgrade) return typeof h.onUpgrade === 'function' ? 'legacy' : undefined;
  const complete =
    typeof h.onHeaders === 'function' && typeof h.onData === 'function' && typeof h.onComplete === 'function';
  return complete ? 'legacy' : undefined;
}

/** Passes every legacy callback on to `handler`. */
export class LegacyForwarder implements LegacyHandler {
  protected readonly handler: LegacyHandler;

  constructor(handler: Handler) {
    this.handler = handler as LegacyHandler;
  }

  onConnect(abort: Abort, context?: unknown): unknown {
    return this.handler.onConnect?.(abort, context);
  }
  onError(error: Error): unknown {
    return this.handler.onError?.(error);
  }
  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: unknown): unknown {
    return this.handler.onUpgrade?.(statusCode, headers, socket);
  }
  onResponseStarted(): unknown {
    return this.handler.onResponseStarted?.();
  }
  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    return this.handler.onHeaders?.(statusCode, headers, resume, statusText) as boolean;
  }
  onData(chunk: Buffer): boolean {
    return this.handler.onData?.(chunk) as boolean;
  }
  onComplete(trailers: string[] | null): unknown {
    return this.handler.onComplete?.(trailers);
  }
  onBodySent(chunkSize: number, totalBytesSent: number): unknown {
    return this.handler.onBodySent?.(chunkSize, totalBytesSent);
  }
  onRequestSent(): unknown {
    return this.handler.onRequestSent?.();
  }
}

/** Passes every callback of the newer style on to `handler`. */
export class ModernForwarder implements Handler {
  protected readonly handler: Handler;

  constructor(handler: Handler) {
    this.handler = handler;
  }

  onRequestStart(controller: Controller, context: unknown): unknown {
    return this.handler.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(controller: Controller, statusCode: number, headers: Headers, socket: never): unknown {
    return this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onResponseStarted(): unknown {
    return this.handler.onResponseStarted?.();
  }
  onResponseStart(controller: Controller, statusCode: number, headers: Headers, message?: string): unknown {
    return this.handler.onResponseStart?.(controller, statusCode, headers, message);
  }
  onResponseData(controller: Controller, chunk: Buffer): unknown {
    return this.handler.onResponseData?.(controller, chunk);
  }
  onResponseEnd(controller: Controller, trailers: Headers): unknown {
    return this.handler.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, error: Error): unknown {
    return this.handler.onResponseError?.(controller, error);
  }
}
