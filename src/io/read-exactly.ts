/**
 * Reads exactly `n` bytes in paused mode (the straight-line "write, read N, check" style of
 * golang.org/x/net/proxy), and the two shapes built on it that SOCKS fields take: one byte,
 * and a NUL-terminated string. Everything after what was asked for stays in the stream for
 * the next reader: the next hop's handshake on the client side; on the server side, the bytes
 * a client sends ahead of our reply (optimistic data), which reach the target untouched.
 * A stream that ends first rejects with StreamEndedError (and its error, if it failed).
 */
import type { Duplex } from 'node:stream';
import { alreadyOver, readPaused, readUntil, StreamEndedError } from './read-until.js';

export function readExactly(stream: Duplex, n: number): Promise<Buffer> {
  // read(0) never returns data: nothing to wait for.
  if (n <= 0) return Promise.resolve(Buffer.alloc(0));
  const over = alreadyOver(stream);
  if (over) return Promise.reject(over);
  // Already here (the rest of a reply whose first byte was just read): no listeners to add
  // and remove, which is most of the cost of a read on the tunnel-setup hot path.
  if (stream.readableLength >= n) {
    const chunk = stream.read(n) as Buffer | null;
    if (chunk !== null) return Promise.resolve(chunk);
  }
  return readPaused<Buffer>(
    stream,
    (settle) => {
      const chunk = stream.read(n) as Buffer | null;
      if (chunk === null) return;
      // read(n) hands back fewer bytes only when the stream has ended.
      if (chunk.length < n) settle(new StreamEndedError(chunk));
      else settle(undefined, chunk);
    },
    () => new StreamEndedError((stream.read() as Buffer | null) ?? Buffer.alloc(0)),
  );
}

export async function readByte(stream: Duplex): Promise<number> {
  return (await readExactly(stream, 1))[0] as number;
}

/**
 * A NUL-terminated field (the SOCKS4 user id, the SOCKS4a host) of at most `max` bytes before
 * the NUL, as UTF-8 without the NUL. Past `max`, rejects with ReplyTooLargeError.
 */
export async function readCString(stream: Duplex, max: number): Promise<string> {
  const field = await readUntil(stream, '\0', max + 1);
  return field.toString('utf8', 0, field.length - 1);
}
