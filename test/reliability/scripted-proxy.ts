/**
 * A proxy that reads the client's messages properly (HTTP CONNECT head, SOCKS4 request,
 * SOCKS5 greeting / RFC 1929 auth / request) and answers each with the next scripted reply,
 * so that a malformed reply arrives exactly where a real one would. The hostile fixture
 * covers the standard misbehaviours; this covers the odd ones (absurd lengths, unknown
 * codes, bodies that never come). Loopback only, like every fixture.
 */
import net from 'node:net';
import { ByteReader, type Fixture, type FixtureEvent, listen, trackedSockets } from '../fixtures/index.js';

export interface Script {
  /** One reply per client message, in order: sent as soon as that message is complete. */
  replies: Array<Buffer | string>;
  /** After the last reply: echo what comes (a tunnel to itself), hold (silent), end (FIN), reset (RST). */
  after?: 'echo' | 'hold' | 'end' | 'reset';
}

export async function startScriptedProxy(script: Script): Promise<Fixture> {
  const log: FixtureEvent[] = [];
  const server = net.createServer((socket) => {
    run(socket).catch(() => socket.destroy());
  });
  const tracker = trackedSockets(server);

  async function run(socket: net.Socket): Promise<void> {
    // Every byte received, for tests of what a proxy was (not) told.
    socket.on('data', (chunk: Buffer) => log.push({ type: 'data', chunk }));
    const reader = new ByteReader(socket);
    const state = { greeted: false };
    for (const reply of script.replies) {
      log.push({ type: 'message', bytes: await readMessage(reader, state) });
      socket.write(reply);
    }
    const rest = reader.detach();
    switch (script.after ?? 'hold') {
      case 'echo':
        socket.write(rest);
        socket.pipe(socket);
        return;
      case 'end':
        // Flowing, so the client's FIN is read and the socket closes.
        socket.end();
        socket.resume();
        return;
      case 'reset':
        socket.resetAndDestroy();
        return;
      case 'hold':
        socket.resume();
        return;
    }
  }

  const port = await listen(server, '127.0.0.1');
  return {
    host: '127.0.0.1',
    port,
    url: `tcp://127.0.0.1:${port}`,
    log,
    close: tracker.close,
    get connections() {
      return tracker.accepted;
    },
    open: tracker.open,
  };
}

/** One client message, told apart by its first byte (and, for SOCKS5, by what came before). */
async function readMessage(reader: ByteReader, state: { greeted: boolean }): Promise<number> {
  const first = await reader.byte();
  if (first === 0x05 && !state.greeted) {
    // SOCKS5 greeting: VER NMETHODS METHODS.
    state.greeted = true;
    return 2 + (await reader.read(await reader.byte())).length;
  }
  if (first === 0x05) {
    // SOCKS5 request: VER CMD RSV ATYP ADDR PORT.
    const atyp = (await reader.read(3))[2];
    const length = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : await reader.byte();
    await reader.read(length + 2);
    return 4 + length + 2;
  }
  if (first === 0x01) {
    // RFC 1929: VER ULEN UNAME PLEN PASSWD.
    const user = await reader.read(await reader.byte());
    const pass = await reader.read(await reader.byte());
    return 3 + user.length + pass.length;
  }
  if (first === 0x04) {
    // SOCKS4: VN CD DSTPORT DSTIP USERID NUL, and for 4a a host name and NUL.
    const head = await reader.read(7);
    const user = await reader.readUntil('\0', 1024);
    const is4a = head[3] === 0 && head[4] === 0 && head[5] === 0 && head[6] !== 0;
    const name = is4a ? await reader.readUntil('\0', 1024) : null;
    return 8 + (user?.length ?? 0) + (name?.length ?? 0);
  }
  const head = await reader.readUntil('\r\n\r\n', 64 * 1024);
  return 1 + (head?.length ?? 0);
}
