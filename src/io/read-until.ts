/**
 * Reads from a stream in paused mode until a delimiter, without losing a byte: whatever
 * arrived after the delimiter is pushed back with `unshift`, so the next stage (the next
 * hop's handshake, TLS, or the application) reads it first. Reading through 'readable'
 * rather than 'data' leaves the stream un-flowing once our listener is gone, so a later
 * consumer that attaches 'data' starts it as it would a fresh socket.
 */
import type { Duplex } from 'node:stream';

export class StreamEndedError extends Error {
  override name = 'StreamEndedError';
  constructor(readonly received: Buffer) {
    super(received.length === 0 ? 'closed before answering' : 'closed in the middle of a reply');
  }
}

export class ReplyTooLargeError extends Error {
  override name = 'ReplyTooLargeError';
  constructor(readonly received: Buffer) {
    super(`no end of reply in the first ${received.length} bytes`);
  }
}

export class UnexpectedReplyError extends Error {
  override name = 'UnexpectedReplyError';
  constructor(readonly received: Buffer) {
    super('reply does not start as expected');
  }
}

/** Finds the end of what is being read: the offset just past the delimiter, or -1. */
export interface Finder {
  end(data: Buffer, from: number): number;
  /** The delimiter's longest length: a later search restarts that far back. */
  span: number;
}

function literal(delimiter: string): Finder {
  const needle = Buffer.from(delimiter, 'latin1');
  return {
    end: (data, from) => {
      const at = data.indexOf(needle, from);
      return at === -1 ? -1 : at + needle.length;
    },
    span: needle.length,
  };
}

/**
 * Resolves with everything up to and including `delimiter`; rejects past `maxBytes`, or as
 * soon as `plausible` says the bytes so far cannot be the start of a valid reply (so a
 * peer speaking another protocol fails fast instead of at the timeout).
 */
export function readUntil(
  stream: Duplex,
  delimiter: string | Finder,
  maxBytes: number,
  plausible: (start: Buffer) => boolean = () => true,
): Promise<Buffer> {
  const find = typeof delimiter === 'string' ? literal(delimiter) : delimiter;
  const over = alreadyOver(stream);
  if (over) return Promise.reject(over);
  const chunks: Buffer[] = [];
  let length = 0;
  let searchFrom = 0;
  return readPaused<Buffer>(
    stream,
    (settle) => {
      let chunk: Buffer | null = stream.read() as Buffer | null;
      while (chunk !== null) {
        chunks.push(chunk);
        length += chunk.length;
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
        chunks.length = 0;
        chunks.push(all);
        const cut = find.end(all, searchFrom);
        if (cut !== -1) {
          // The cap holds however the bytes were chunked: a long head in one read is still too long.
          if (cut > maxBytes) {
            settle(new ReplyTooLargeError(all.subarray(0, 64)));
            return;
          }
          if (cut < all.length) stream.unshift(all.subarray(cut));
          settle(undefined, all.subarray(0, cut));
          return;
        }
        if (all.length > maxBytes) {
          settle(new ReplyTooLargeError(all.subarray(0, 64)));
          return;
        }
        if (!plausible(all)) {
          settle(new UnexpectedReplyError(all.subarray(0, 64)));
          return;
        }
        searchFrom = Math.max(0, all.length - find.span + 1);
        chunk = stream.read() as Buffer | null;
      }
    },
    () => new StreamEndedError(Buffer.concat(chunks).subarray(0, 64)),
  );
}

export type Settle<T> = (error: Error | undefined, value?: T) => void;

/**
 * The paused-mode wait both readers share: `onReadable` runs on every 'readable' and settles
 * when it has what it wants; the stream ending first rejects with `ended()`, and failing,
 * with its error. Every listener is gone once settled, so the stream stays paused, its
 * unread bytes kept for the next reader.
 */
export function readPaused<T>(
  stream: Duplex,
  onReadable: (settle: Settle<T>) => void,
  ended: () => Error,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const settle: Settle<T> = (error, value) => {
      stream.off('readable', readable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', settle);
      if (error) reject(error);
      else resolve(value as T);
    };
    const readable = () => onReadable(settle);
    const onEnd = () => settle(ended());
    stream.on('readable', readable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', settle);
  });
}

/**
 * The error for a read that can never be answered: the stream ended (its 'end' already
 * emitted, so no listener would ever hear it) or was destroyed. Undefined while it is live.
 */
export function alreadyOver(stream: Duplex): Error | undefined {
  if (stream.errored) return stream.errored;
  if (stream.readableEnded || stream.destroyed) return new StreamEndedError(Buffer.alloc(0));
  return undefined;
}

/**
 * Puts a stream that an earlier stage paused back into the state of a fresh socket:
 * not flowing, data kept, and flowing again as soon as somebody attaches 'data'.
 * (Removing the last 'readable' listener with no 'data' listener does exactly that.)
 */
export function releaseStream(stream: Duplex): void {
  const noop = () => {};
  stream.on('readable', noop);
  stream.off('readable', noop);
}
