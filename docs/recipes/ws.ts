import WebSocket from 'ws';
import { Chain } from '../../src/index.js';

/** A WebSocket (ws:// or wss://) through the chain: sends `text`, resolves with the first reply. */
export async function echoOverWebSocket(proxies: string[], url: string, text: string, ca?: string) {
  const chain = new Chain(proxies);
  const socket = new WebSocket(url, { agent: chain.agent({ ca }) });
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send(text));
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
  } finally {
    socket.close();
    await chain.close();
  }
}
