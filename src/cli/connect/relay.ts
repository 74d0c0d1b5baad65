/**
 * The byte relay behind `sockschain connect`: stdin to the tunnel, the tunnel to stdout,
 * each direction closed on its own (EOF on stdin half-closes the tunnel; the target's EOF
 * closes stdout) so that ssh, git and `printf ... | sockschain connect` see the ends they expect.
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

export type RelayEnd =
  | { kind: 'closed' }
  | { kind: 'idle'; ms: number }
  | { kind: 'failed'; message: string }
  | { kind: 'reader-gone' };

export interface RelayOptions {
  input: Readable;
  output: Writable;
  /** Ends the relay when no byte moved either way for this long. */
  idleTimeoutMs?: number | undefined;
}

export function relay(socket: Socket, { input, output, idleTimeoutMs }: RelayOptions): Promise<RelayEnd> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (end: RelayEnd) => {
      if (settled) return;
      settled = true;
      input.unpipe(socket);
      input.pause();
      // Our own fd streams are destroyed with the tunnel; a caller's stream is left alone.
      socket.destroy();
      resolve(end);
    };
    // The target's EOF must not end our writing side: stdin may still have bytes for it.
    socket.allowHalfOpen = true;
    if (idleTimeoutMs !== undefined) {
      socket.setTimeout(idleTimeoutMs, () => finish({ kind: 'idle', ms: idleTimeoutMs }));
    }
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ kind: 'failed', message: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    output.on('error', () => finish({ kind: 'reader-gone' }));
    input.on('error', (error) => finish({ kind: 'failed', message: `reading stdin: ${error.message}` }));

    let remoteEnded = false;
    let localEnded = false;
    const maybeDone = () => {
      if (remoteEnded && localEnded) finish({ kind: 'closed' });
    };
    socket.pipe(output, { end: false });
    socket.once('end', () => {
      remoteEnded = true;
      // A terminal never sends EOF by itself: once the target is done, so are we.
      if ((input as { isTTY?: boolean }).isTTY) localEnded = true;
      output.end(() => maybeDone());
    });
    // pipe() ends the socket (a FIN to the target) when stdin ends: the half-close.
    input.pipe(socket);
    input.once('end', () => {
      localEnded = true;
      maybeDone();
    });
    socket.once('close', () => finish({ kind: 'closed' }));
  });
}
