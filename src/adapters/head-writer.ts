/**
 * Absolute-form request heads for node:http, finished at the socket. node:http renders a
 * request's head into the ClientRequest (`_header`, and `outputData` when it is queued
 * early, as `Expect: 100-continue` and array headers do) before the agent sees it, so
 * credentials set there stay readable in every object that holds the request (an axios
 * error, a got response: `util.inspect` shows them). Instead the head leaves node:http
 * without them and is completed here, on its way into the socket: the request line is put
 * in absolute-form (if node:http rendered it in origin-form) and the last hop's
 * Proxy-Authorization is added. The value lives only in this closure.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** node:http writes each request's head as the first chunk after giving the request its socket. */
export class HeadWriter {
  readonly #authorization: string | undefined;
  /** The origin of the request whose head is the next chunk written to each socket. */
  readonly #next = new WeakMap<Duplex, string>();

  constructor(authorization: string | undefined) {
    this.#authorization = authorization;
  }

  /** Called for each absolute-form request: its head is the first write once it has a socket. */
  expect(req: http.ClientRequest, origin: string): void {
    // 'socket' is emitted before node:http flushes anything the request queued.
    req.once('socket', (socket: Duplex) => this.#next.set(socket, origin));
  }

  /** Wraps the socket's write once, for a connection opened for absolute-form requests. */
  attach(socket: Duplex): void {
    const write = socket.write;
    const next = this.#next;
    const authorization = this.#authorization;
    socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]): boolean {
      const origin = next.get(socket);
      if (origin !== undefined && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
        next.delete(socket);
        const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
        const head = completeHead(text, origin, authorization);
        chunk = typeof chunk === 'string' ? head : Buffer.from(head, 'latin1');
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof socket.write;
  }
}

/**
 * The head at the start of `text` (which may go on with body bytes) in absolute-form, with
 * `authorization` as its only Proxy-Authorization (a user's own is not sent to the hop).
 */
export function completeHead(text: string, origin: string, authorization: string | undefined): string {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return text;
  const lines = text.slice(0, end).split('\r\n');
  const [method, target, version] = (lines[0] ?? '').split(' ');
  if (method && target?.startsWith('/') && version) lines[0] = `${method} ${origin}${target} ${version}`;
  const kept =
    authorization === undefined ? lines : lines.filter((line) => !/^proxy-authorization\s*:/i.test(line));
  if (authorization !== undefined) kept.push(`Proxy-Authorization: ${authorization}`);
  return `${kept.join('\r\n')}${text.slice(end)}`;
}
