import { request } from 'undici';
import { Chain } from '../../src/index.js';

/** undici.request through the chain. */
export async function requestWithUndici(proxies: string[], url: string, ca?: string): Promise<string> {
  const chain = new Chain(proxies);
  try {
    const { statusCode, body } = await request(url, { dispatcher: chain.dispatcher({ ca }) });
    if (statusCode !== 200) throw new Error(`HTTP ${statusCode}`);
    return await body.text();
  } finally {
    await chain.close();
  }
}
