/**
 * The proxies `check` is given: URLs on the command line, files with one URL a line and
 * `#` comments, or a proxychains.conf (recognised by its [ProxyList] section), `-` for
 * standard input. A line that is not a proxy URL stops everything with its file and line.
 */
import { readFileSync } from 'node:fs';
import { Chain } from '../../chain/chain.js';
import { ChainError } from '../../errors.js';
import { type Hop, parseHop, redactUrl } from '../../hop.js';
import { UsageError } from '../output/io.js';

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function readProxyList(args: readonly string[], stdin: () => string): Hop[] {
  const hops: Hop[] = [];
  for (const arg of args) {
    if (URL_LIKE.test(arg)) hops.push(parseEntry(arg, 'argument'));
    else hops.push(...parseListText(readSource(arg, stdin), arg === '-' ? 'stdin' : arg));
  }
  if (hops.length === 0)
    throw new UsageError('no proxies to check: give proxy URLs, a list FILE, or - for stdin');
  return hops;
}

function readSource(path: string, stdin: () => string): string {
  if (path === '-') return stdin();
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    // The argument may be a proxy with its password, typed without a scheme: never echo that.
    const shown = redactUrl(path);
    const tip =
      code === 'ENOENT' && /:\d+$/.test(path) ? ` (a proxy? write it as a URL: http://${shown})` : '';
    throw new UsageError(`cannot read ${shown}: ${code}${tip}`);
  }
}

export function parseListText(text: string, source: string): Hop[] {
  if (/^\s*\[ProxyList\]/im.test(text)) {
    try {
      return [...Chain.fromProxychainsConf(text).hops];
    } catch (error) {
      throw new UsageError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const hops: Hop[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    // A comment is a whole line, or text after whitespace and '#'.
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line !== '') hops.push(parseEntry(line, `${source} line ${index + 1}`));
  });
  return hops;
}

function parseEntry(text: string, where: string): Hop {
  if (/\s/.test(text)) throw new UsageError(`${where}: one proxy URL per line, got several words`);
  try {
    return parseHop(text, 0, 'proxy');
  } catch (error) {
    if (error instanceof ChainError) {
      throw new UsageError(`${where}: ${error.message}`);
    }
    throw error;
  }
}
