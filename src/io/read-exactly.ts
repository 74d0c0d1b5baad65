/**
 * Reads exactly `n` bytes in paused mode (the straight-line "write, read N, check" style of
 * golang.org/x/net/proxy). Leaves the rest in the stream for the next reader.
 */
import type { Duplex } from 'node:stream';
import { alreadyOver, StreamEndedError } from './read-until.js';

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
  return new Promise((resolve, reject) => {
    const finish = (error: Error | undefined, data?: Buffer) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
      if (error) reject(error);
      else resolve(data as Buffer);
    };
    const onReadable = () => {
      const chunk = stream.read(n) as Buffer | null;
      if (chunk === null) return;
      // read(n) hands back fewer bytes only when the stream has ended.
      if (chunk.length < n) finish(new StreamEndedError(chunk));
      else finish(undefined, chunk);
    };
    const onEnd = () => {
      const rest = stream.read() as Buffer | null;
      finish(new StreamEndedError(rest ?? Buffer.alloc(0)));
    };
    const onError = (error: Error) => finish(error);
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onError);
  });
}
