import { Chain } from '../../src/index.js';

/** Node's global fetch through the chain: chain.fetch(), or fetch() with a dispatcher. */
export async function fetchThroughChain(proxies: string[], url: string, ca?: string): Promise<string[]> {
  const chain = new Chain(proxies);
  try {
    const first = await chain.fetch(url); // one shared dispatcher, no TLS options
    const dispatcher = chain.dispatcher({ connections: 16, ca });
    // Node's fetch types come from its bundled undici, hence the cast.
    const second = await fetch(url, { dispatcher } as unknown as RequestInit);
    return [await first.text(), await second.text()];
  } catch (error) {
    // fetch failed: the ChainError is the cause, e.g. error.cause.code === 'HOP_UNREACHABLE'.
    throw (error as Error).cause ?? error;
  } finally {
    await chain.close();
  }
}
