import { Chain } from '../../src/index.js';

export interface Account {
  user: string;
  password: string;
  /** The Windows domain, for NTLM. */
  domain: string;
}

/**
 * Behind a corporate proxy: the PAC file picks the proxy for each URL, and the account is
 * given only to a proxy that asks for it (407), which NTLM, Digest or Basic then answers.
 */
export async function fetchBehindCorporateProxy(pac: string, url: string, account: Account): Promise<string> {
  const chain = Chain.fromPac(pac, {
    onProxyAuth: () => ({ username: account.user, password: account.password, domain: account.domain }),
  });
  try {
    const response = await chain.fetch(url);
    return await response.text();
  } finally {
    await chain.close();
  }
}
