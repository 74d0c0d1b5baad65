import axios from 'axios';
import { Chain } from '../../src/index.js';

/** axios through the chain: the same agent for http and https. */
export async function getWithAxios(proxies: string[], url: string, ca?: string): Promise<string> {
  const chain = new Chain(proxies);
  const agent = chain.agent({ ca });
  try {
    // proxy: false, or axios applies the *_PROXY environment variables on top.
    const response = await axios.get<string>(url, {
      httpAgent: agent,
      httpsAgent: agent,
      proxy: false,
      responseType: 'text',
    });
    return response.data;
  } finally {
    await chain.close();
  }
}
