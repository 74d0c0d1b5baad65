/**
 * `check --pac FILE|URL --target HOST:PORT`: the proxies a PAC file names for that target,
 * each to be checked on its own (the hops of a `CHAIN` entry too, one by one), in the
 * order the PAC file gives them, each once.
 */
import { loadPacSource, PacRouter } from '../../config/pac.js';
import { type Hop, parseHop } from '../../hop.js';
import type { Target } from '../../target.js';
import { UsageError } from '../output/io.js';

export async function proxiesFromPac(source: string, target: Target | undefined): Promise<Hop[]> {
  if (!target) throw new UsageError('--pac needs --target HOST:PORT: a PAC file names proxies per target');
  const routes = await new PacRouter(loadPacSource(source), 'remote', { ttlMs: 0 }).routes(target, undefined);
  const urls = [...new Set(routes.flatMap((route) => (route === 'direct' ? [] : route)))];
  return urls.map((url, index) => parseHop(url, index));
}
