/**
 * A proxy that follows a short script of reads and answers, then drops (stays silent),
 * resets or closes: what a firewall between us and a real proxy makes of an exchange,
 * at the byte where it steps in. Real proxies cannot be told to do this on demand.
 */
import net from 'node:net';

export type Step = { read: number } | { write: number[] } | 'silent' | 'reset' | 'close';

export interface Scripted {
  port: number;
  close(): Promise<void>;
}

export async function startScripted(script: Step[]): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void play(socket, script);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function play(socket: net.Socket, script: Step[]): Promise<void> {
  let buffered = Buffer.alloc(0);
  const waitFor = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (buffered.length < n) return;
        buffered = buffered.subarray(n);
        socket.off('data', onData);
        resolve();
      };
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        check();
      };
      socket.on('data', onData);
      check();
    });
  for (const step of script) {
    if (step === 'silent') {
      socket.on('data', () => {});
      return;
    }
    if (step === 'reset') return void socket.resetAndDestroy();
    if (step === 'close') return void socket.end();
    if ('read' in step) await waitFor(step.read);
    else socket.write(Buffer.from(step.write));
  }
}
