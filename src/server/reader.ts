/**
 * Reading a client's handshake in paused mode: `read(n)` hands out exactly n bytes and
 * leaves everything after them in the socket's buffer, so bytes a client sends ahead of
 * our reply (optimistic data) reach the target untouched once the tunnel is piped.
 */
import type { Duplex } from 'node:stream';

export class ClientClosedError extends Error {
  override name = 'ClientClosedError';
  constructor() {
    super('the client closed the connection before finishing its request');
  }
}

export class FieldTooLongError extends Error {
  override name = 'FieldTooLongError';
}

export function readExactly(stream: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const finish = (error: Error | undefined, chunk?: Buffer) => {
      stream.off('readable', attempt);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      if (error) reject(error);
      else resolve(chunk as Buffer);
    };
    const onEnd = () => finish(new ClientClosedError());
    function attempt() {
      const chunk = stream.read(n) as Buffer | null;
      if (chunk === null) return;
      // At the end of the stream read(n) hands out what is left, even if shorter.
      if (chunk.length < n) finish(new ClientClosedError());
      else finish(undefined, chunk);
    }
    stream.on('readable', attempt);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    attempt();
  });
}

export async function readByte(stream: Duplex): Promise<number> {
  return (await readExactly(stream, 1))[0] as number;
}

/** A NUL-terminated field (SOCKS4 user id, SOCKS4a host), at most `max` bytes before the NUL. */
export async function readCString(stream: Duplex, max: number, what: string): Promise<string> {
  const bytes: number[] = [];
  for (;;) {
    const byte = await readByte(stream);
    if (byte === 0) return Buffer.from(bytes).toString('utf8');
    if (bytes.length >= max) throw new FieldTooLongError(`${what} longer than ${max} bytes`);
    bytes.push(byte);
  }
}
