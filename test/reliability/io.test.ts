/**
 * The readers every handshake stands on, client and server side (src/io): bounded buffering
 * against an endless peer, no byte lost across readers, and never a wait on a stream that has
 * already ended.
 */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readByte, readCString, readExactly } from '../../src/io/read-exactly.js';
import { ReplyTooLargeError, readUntil, StreamEndedError } from '../../src/io/read-until.js';
import { settle } from './helpers.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

/** A stream that has delivered `bytes`, ended, and whose 'end' has been emitted. */
async function drained(bytes: string): Promise<PassThrough> {
  const stream = new PassThrough();
  stream.end(Buffer.from(bytes, 'latin1'));
  await tick();
  await readUntil(stream, '\r\n\r\n', 1024);
  await tick();
  return stream;
}

describe('a reader called on a stream that already ended', () => {
  it('readUntil rejects at once instead of waiting for an end that already happened', async () => {
    const stream = await drained('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    expect(stream.readableEnded).toBe(true);
    const result = await settle(
      Promise.race([
        readUntil(stream, '\r\n\r\n', 1024),
        new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 500)),
      ]),
    );
    expect(result.error).toBeInstanceOf(StreamEndedError);
  });

  it('readExactly rejects at once too', async () => {
    const stream = await drained('\x05\x00\r\n\r\n');
    const result = await settle(
      Promise.race([
        readExactly(stream, 4),
        new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 500)),
      ]),
    );
    expect(result.error).toBeInstanceOf(StreamEndedError);
  });

  it('a destroyed stream rejects both readers at once', async () => {
    const stream = new PassThrough();
    stream.destroy();
    await tick();
    for (const read of [() => readExactly(stream, 1), () => readUntil(stream, '\n', 10)]) {
      const result = await settle(
        Promise.race([read(), new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 500))]),
      );
      expect(result.error).toBeInstanceOf(StreamEndedError);
    }
  });
});

describe('an endless reply head', () => {
  it('is refused past the cap after pulling little more than the cap from the stream', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(4096, 'a');
    // 64 MiB on offer; a reader that buffered it all would take seconds and the memory with it.
    const endless = new Readable({
      read() {
        if (pulled >= 64 * 1024 * 1024) return void this.push(null);
        pulled += chunk.length;
        this.push(chunk);
      },
    });
    const result = await settle(readUntil(endless as never, '\r\n\r\n', 16 * 1024));
    expect(result.error).toBeInstanceOf(ReplyTooLargeError);
    // The cap plus what the stream reads ahead (its high-water mark), nothing like the offer.
    expect(pulled).toBeLessThan(16 * 1024 + 2 * endless.readableHighWaterMark + chunk.length);
    endless.destroy();
  });
});

describe('no byte is lost between readers', () => {
  it('bytes after the delimiter go to the next reader, whatever the chunking', async () => {
    const stream = new PassThrough();
    const wire = Buffer.from('HTTP/1.1 200 OK\r\n\r\n\x05\x00tail', 'latin1');
    for (const byte of wire) stream.write(Buffer.from([byte]));
    const head = await readUntil(stream, '\r\n\r\n', 1024);
    expect(head.toString('latin1')).toBe('HTTP/1.1 200 OK\r\n\r\n');
    expect([...(await readExactly(stream, 2))]).toEqual([5, 0]);
    expect((await readExactly(stream, 4)).toString()).toBe('tail');
  });
});

describe('readExactly(0)', () => {
  it('resolves with nothing instead of waiting for bytes it does not want', async () => {
    const stream = new PassThrough();
    const result = await settle(
      Promise.race([
        readExactly(stream, 0),
        new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), 500)),
      ]),
    );
    expect(result.value).toEqual(Buffer.alloc(0));
    stream.destroy();
  });
});

describe('the cap of readUntil', () => {
  const head = `HTTP/1.1 200 OK\r\n${'X: y\r\n'.repeat(100)}\r\n`;

  it.each([
    ['one chunk', [head]],
    ['two chunks', [head.slice(0, 300), head.slice(300)]],
  ])('refuses a complete head longer than the cap, delivered in %s', async (_name, chunks) => {
    const stream = new PassThrough();
    for (const chunk of chunks) stream.write(chunk);
    const result = await settle(readUntil(stream, '\r\n\r\n', 256));
    expect(result.error).toBeInstanceOf(ReplyTooLargeError);
    stream.destroy();
  });

  it('accepts a head of exactly the cap', async () => {
    const stream = new PassThrough();
    stream.write(head);
    expect((await readUntil(stream, '\r\n\r\n', head.length)).length).toBe(head.length);
    stream.destroy();
  });
});

describe('the SOCKS field readers (the serve listener)', () => {
  it('a byte, a NUL-terminated field, then the bytes behind it, whatever the chunking', async () => {
    const stream = new PassThrough();
    const wire = Buffer.from('\x04bob\0example.test\0\0early', 'latin1');
    for (const byte of wire) stream.write(Buffer.from([byte]));
    expect(await readByte(stream)).toBe(4);
    expect(await readCString(stream, 255)).toBe('bob');
    expect(await readCString(stream, 255)).toBe('example.test');
    expect((await readExactly(stream, 6)).toString('latin1')).toBe('\0early');
    stream.destroy();
  });

  it('a field of exactly the cap is read; one byte more is refused', async () => {
    const stream = new PassThrough();
    stream.write(`${'a'.repeat(255)}\0${'b'.repeat(256)}\0`);
    expect(await readCString(stream, 255)).toBe('a'.repeat(255));
    const result = await settle(readCString(stream, 255));
    expect(result.error).toBeInstanceOf(ReplyTooLargeError);
    stream.destroy();
  });

  it('a client that leaves in the middle of a field: StreamEndedError, at once', async () => {
    const stream = new PassThrough();
    stream.end('bob');
    expect((await settle(readCString(stream, 255))).error).toBeInstanceOf(StreamEndedError);
    expect((await settle(readByte(stream))).error).toBeInstanceOf(StreamEndedError);
  });
});
