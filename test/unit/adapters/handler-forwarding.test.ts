/**
 * The dispatcher's handler wrappers (waiting requests, the 407 guard): every callback reaches
 * the caller's handler, on the handler itself, with its return value; undici's handler
 * styles stay apart; a handler undici would refuse is handed on unwrapped.
 */
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { handlerStyle } from '../../../src/adapters/handler-forwarding.js';
import { WaitingRequests } from '../../../src/adapters/waiting-requests.js';

type Handler = Dispatcher.DispatchHandler;

/** A legacy handler with private state, as undici's RequestHandler has. */
class Legacy {
  readonly #calls: string[] = [];
  abort: ((reason?: Error) => void) | undefined;
  get calls(): string[] {
    return this.#calls;
  }
  onConnect(abort: (reason?: Error) => void): void {
    this.abort = abort;
    this.#calls.push('connect');
  }
  onError(error: Error): void {
    this.#calls.push(`error:${error.message}`);
  }
  onHeaders(status: number): boolean {
    this.#calls.push(`headers:${status}`);
    return false;
  }
  onData(chunk: Buffer): boolean {
    this.#calls.push(`data:${chunk}`);
    return true;
  }
  onComplete(): void {
    this.#calls.push('complete');
  }
}

type LegacyCalls = {
  onConnect(abort: (reason?: Error) => void): void;
  onHeaders(status: number, raw: Buffer[], resume: () => void, text: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: null): void;
  onBodySent?: unknown;
  onRequestStart?: unknown;
};

describe('handlerStyle', () => {
  it('tells modern from legacy, and finds what undici would refuse', () => {
    expect(handlerStyle({ onRequestStart() {} } as Handler, false)).toBe('modern');
    expect(handlerStyle(new Legacy() as Handler, false)).toBe('legacy');
    expect(handlerStyle(new Legacy() as Handler, true)).toBeUndefined();
    expect(handlerStyle({ onHeaders() {}, onData() {} } as unknown as Handler, false)).toBeUndefined();
    expect(handlerStyle({ ...legacyMethods(), onBodySent: 1 } as unknown as Handler, false)).toBeUndefined();
  });
});

function legacyMethods() {
  return { onHeaders: () => true, onData: () => true, onComplete: () => {} };
}

describe('WaitingRequests.track', () => {
  it('forwards a legacy handler’s callbacks on the handler itself, return values included', () => {
    const waiting = new WaitingRequests();
    const handler = new Legacy();
    const tracked = waiting.track('k', handler as Handler) as unknown as LegacyCalls;
    expect(tracked.onRequestStart).toBeUndefined();
    // The handler was given an abort at once (fetch keeps it).
    expect(handler.calls).toEqual(['connect']);
    const real: Error[] = [];
    tracked.onConnect((reason) => real.push(reason as Error));
    expect(tracked.onHeaders(200, [], () => {}, 'OK')).toBe(false);
    expect(tracked.onData(Buffer.from('x'))).toBe(true);
    tracked.onComplete(null);
    expect(handler.calls).toEqual(['connect', 'headers:200', 'data:x', 'complete']);
    // The early abort now reaches undici's.
    handler.abort?.(new Error('late'));
    expect(real.map((e) => e.message)).toEqual(['late']);
  });

  it('cancels the tunnels opening for an origin once every waiting request is aborted', () => {
    const waiting = new WaitingRequests();
    const first = new Legacy();
    const second = new Legacy();
    waiting.track('k', first as Handler);
    waiting.track('k', second as Handler);
    const cancelled: Error[] = [];
    const release = waiting.opening('k', (reason) => cancelled.push(reason));
    first.abort?.(new Error('one'));
    expect(cancelled).toEqual([]);
    second.abort?.(new Error('two'));
    expect(cancelled.map((e) => e.message)).toEqual(['every request waiting for the tunnel was aborted']);
    release();
  });

  it('passes a modern handler’s callbacks on and leaves legacy ones out', () => {
    const waiting = new WaitingRequests();
    const seen: unknown[] = [];
    const handler = {
      secret: 1,
      onRequestStart(this: { secret: number }, _controller: unknown, context: unknown) {
        seen.push(['start', this.secret, context]);
      },
      onResponseData(this: { secret: number }, _controller: unknown, chunk: Buffer) {
        seen.push(['data', this.secret, String(chunk)]);
      },
    };
    const tracked = waiting.track('k', handler as unknown as Handler);
    expect((tracked as { onConnect?: unknown }).onConnect).toBeUndefined();
    const controller = {} as Dispatcher.DispatchController;
    tracked.onRequestStart?.(controller, 'ctx');
    tracked.onResponseData?.(controller, Buffer.from('y'));
    tracked.onResponseEnd?.(controller, {});
    expect(seen).toEqual([
      ['start', 1, 'ctx'],
      ['data', 1, 'y'],
    ]);
  });

  it('hands a handler undici would refuse on as it is', () => {
    const waiting = new WaitingRequests();
    const incomplete = { onConnect() {}, onError() {} } as Handler;
    expect(waiting.track('k', incomplete)).toBe(incomplete);
  });
});
