/**
 * connect() for a chain made by Chain.fromPac: ask the PAC file for the target's routes and
 * try them in order, as browsers do: the next entry only when a proxy of this one cannot be
 * reached (HOP_UNREACHABLE, HOP_TIMEOUT) or a DIRECT connection fails. Any other answer (a
 * refusal, bad credentials, an unreachable target) is the answer. Each route is a chain of
 * its own, made once and kept, so that its auth memory and keep-alive state live on.
 */
import type net from 'node:net';
import type { ClosableChainConnector, ConnectOptions } from '../chain/connector.js';
import { connectDirect } from '../dial/direct.js';
import { ChainError } from '../errors.js';
import type { Target } from '../target.js';
import type { PacRoute, PacRouter } from './pac.js';

const ROUTE_LIMIT = 64;

export class PacConnector {
  readonly #router: PacRouter;
  readonly #make: (hops: readonly string[]) => ClosableChainConnector;
  readonly #chains = new Map<string, ClosableChainConnector>();

  constructor(router: PacRouter, make: (hops: readonly string[]) => ClosableChainConnector) {
    this.#router = router;
    this.#make = make;
  }

  /** The routes the PAC file gives for `target` (for `probe`-like tools and tests). */
  routes(target: Target, protocol: string | undefined): Promise<PacRoute[]> {
    return this.#router.routes(target, protocol);
  }

  async connect(target: Target, protocol: string | undefined, options: ConnectOptions): Promise<net.Socket> {
    const routes = await this.#router.routes(target, protocol);
    let last: unknown;
    for (const route of routes) {
      try {
        if (route === 'direct') {
          return await connectDirect(target, {
            signal: options.signal,
            timeoutMs: options.timeoutMs ?? 30_000,
          });
        }
        return await this.#chain(route).connect(target, options);
      } catch (error) {
        last = error;
        if (options.signal?.aborted || !worthNext(error, route)) throw error;
      }
    }
    throw last;
  }

  /** Closes the route chains' agents and dispatchers. */
  async close(): Promise<void> {
    await Promise.all([...this.#chains.values()].map((chain) => chain.close()));
    this.#chains.clear();
  }

  #chain(hops: readonly string[]): ClosableChainConnector {
    const key = hops.join(' ');
    let chain = this.#chains.get(key);
    if (!chain) {
      if (this.#chains.size >= ROUTE_LIMIT) this.#chains.delete(this.#chains.keys().next().value as string);
      chain = this.#make(hops);
      this.#chains.set(key, chain);
    }
    return chain;
  }
}

function worthNext(error: unknown, route: PacRoute): boolean {
  if (!(error instanceof ChainError)) return route === 'direct';
  if (route === 'direct') return error.code !== 'INVALID_CONFIG' && error.code !== 'ABORTED';
  return error.code === 'HOP_UNREACHABLE' || error.code === 'HOP_TIMEOUT';
}
