import got from 'got';
import { Chain } from '../../src/index.js';

/** got through the chain. */
export async function getWithGot(proxies: string[], url: string, ca?: string): Promise<string> {
  const chain = new Chain(proxies);
  const agent = chain.agent({ ca });
  try {
    return await got(url, { agent: { http: agent, https: agent } }).text();
  } finally {
    await chain.close();
  }
}
