import https from 'node:https';
import { Chain } from '../../src/index.js';

/** GET an https:// URL with node:https through the chain (node:http is the same for http://). */
export async function getWithNodeHttps(proxies: string[], url: string, ca?: string): Promise<string> {
  const chain = new Chain(proxies);
  // keepAlive: one tunnel serves many requests to the same origin.
  const agent = chain.agent({ keepAlive: true, ca });
  try {
    return await new Promise<string>((resolve, reject) => {
      https
        .get(url, { agent }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
        })
        .on('error', reject); // a ChainError (code, hopIndex, hop) when the chain fails
    });
  } finally {
    await chain.close(); // frees the pooled tunnels
  }
}
