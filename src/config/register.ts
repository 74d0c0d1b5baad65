/**
 * `import 'sockschain/register'` or `node --import sockschain/register app.js`: routes
 * node:http and node:https (their global agents) and the global fetch (undici's global
 * dispatcher) through `Chain.fromEnv()`, NO_PROXY honoured (the chain connects those targets
 * directly). With no chain configured it changes nothing, and says so on stderr once when
 * SOCKSCHAIN_DEBUG is set. A configuration that is set but wrong throws here, at startup,
 * rather than letting traffic leave unproxied.
 */
import http from 'node:http';
import https from 'node:https';
import { setGlobalDispatcher } from 'undici';
import { Chain } from '../chain/chain.js';

function register(): Chain | undefined {
  const debug = Boolean(process.env.SOCKSCHAIN_DEBUG);
  const chain = Chain.fromEnv(process.env);
  if (!chain) {
    if (debug) {
      process.stderr.write(
        'sockschain/register: no chain configured (PROXY_CHAIN, SOCKSCHAIN_CONFIG, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY are unset); node:http, node:https and fetch are unchanged\n',
      );
    }
    return undefined;
  }
  http.globalAgent = chain.agent();
  https.globalAgent = chain.agent();
  setGlobalDispatcher(chain.dispatcher());
  if (debug) {
    const bypass = chain.options.noProxy.length > 0 ? `; direct: ${chain.options.noProxy.join(', ')}` : '';
    process.stderr.write(
      `sockschain/register: node:http, node:https and fetch go through ${chain} (${chain.options.mode})${bypass}\n`,
    );
  }
  return chain;
}

/** The chain everything goes through, or undefined when none is configured. */
export const chain: Chain | undefined = register();
