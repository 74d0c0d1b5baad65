import { createInterface } from 'node:readline';
import { Chain } from '../../src/index.js';

/** Any TCP protocol through chain.connect(): an SMTP greeting, where the server speaks first. */
export async function smtpGreeting(proxies: string[], host: string, port: number): Promise<string[]> {
  const chain = new Chain(proxies);
  const socket = await chain.connect({ host, port }); // a connected net.Socket to host:port
  const lines = createInterface({ input: socket, crlfDelay: Infinity })[Symbol.asyncIterator]();
  try {
    const banner = await lines.next(); // "220 ..." arrives before we say anything
    socket.write('EHLO client.example\r\n');
    const reply = await lines.next();
    return [String(banner.value), String(reply.value)];
  } finally {
    socket.destroy();
  }
}
