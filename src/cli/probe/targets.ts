/**
 * The TARGET arguments of `probe`: `host:port`, `[v6]:port` or a URL, and with `--ports`
 * every given port of every target's host (then a bare host is fine too). Each target
 * also knows whether `--app-check` can speak HTTP to it.
 */
import { isIP } from 'node:net';
import { ChainError } from '../../errors.js';
import { redactUrl, unbracket } from '../../hop.js';
import { formatTarget, parseTarget, type Target } from '../../target.js';
import { UsageError } from '../output/io.js';

export interface ProbeTarget extends Target {
  text: string;
  /** For --app-check: the URL's scheme, else guessed from the port (443 https, 80 http). */
  scheme: 'http' | 'https' | null;
  path: string;
}

export function parsePorts(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const ports = text.split(/[\s,]+/).filter(Boolean);
  if (ports.length === 0) throw new UsageError('--ports is empty: give ports like 22,80,443');
  return ports.map((port) => {
    const value = Number(port);
    if (!/^\d+$/.test(port) || value < 1 || value > 65535) {
      throw new UsageError(`--ports: "${port}" is not a port (1-65535)`);
    }
    return value;
  });
}

export function expandTargets(args: readonly string[], ports: number[] | undefined): ProbeTarget[] {
  if (args.length === 0) throw new UsageError('give at least one TARGET: host:port, [ipv6]:port or a URL');
  return args.flatMap((arg) => {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(arg) ? safeUrl(arg) : undefined;
    const urlScheme = url?.protocol === 'https:' ? 'https' : url?.protocol === 'http:' ? 'http' : null;
    const path = url ? `${url.pathname || '/'}${url.search}` : '/';
    if (!ports) {
      const target = parse(arg, ports);
      return [
        { ...target, text: formatTarget(target), scheme: urlScheme ?? schemeOfPort(target.port), path },
      ];
    }
    const host = url ? unbracket(url.hostname) : bareHost(arg);
    return ports.map((port) => {
      const target = parse(formatTarget({ host, port }), ports);
      return { ...target, text: formatTarget(target), scheme: urlScheme ?? schemeOfPort(port), path };
    });
  });
}

function parse(text: string, ports: number[] | undefined): Target {
  try {
    return parseTarget(text);
  } catch (error) {
    if (error instanceof ChainError && !ports && !/:\d+$/.test(text) && !text.includes('://')) {
      throw new UsageError(
        `target "${redactUrl(text)}" has no port: write host:port, or give --ports 80,443`,
      );
    }
    throw error;
  }
}

function safeUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new UsageError(`not a valid target URL: ${text}`);
  }
}

/** With --ports: `host`, `[v6]`, `v6`, or `host:port` whose port is replaced. */
function bareHost(arg: string): string {
  if (isIP(arg) === 6) return arg;
  const match = /^(?:\[([^\]]+)\]|([^:\s]+))(?::\d+)?$/.exec(arg.trim());
  if (!match) throw new UsageError(`target "${arg}" is not a host, host:port, [ipv6] or a URL`);
  return match[1] ?? match[2] ?? '';
}

function schemeOfPort(port: number): 'http' | 'https' | null {
  return port === 443 ? 'https' : port === 80 ? 'http' : null;
}
