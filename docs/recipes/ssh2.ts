import { Client } from 'ssh2';
import type { Chain } from '../../src/index.js';

/** ssh2: its `sock` option takes a connected socket: a tunnel from chain.connect(). */
export async function sshExec(
  chain: Chain,
  target: { host: string; port: number; username: string; privateKey: Buffer },
  command: string,
): Promise<string> {
  const sock = await chain.connect({ host: target.host, port: target.port });
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () => {
        client.exec(command, (error, stream) => {
          if (error) return reject(error);
          let output = '';
          stream.on('data', (chunk: Buffer) => (output += chunk));
          stream.on('close', () => {
            client.end();
            resolve(output);
          });
        });
      })
      .on('error', reject)
      .connect({ sock, username: target.username, privateKey: target.privateKey });
  });
}
