/** Targets: where the last hop connects to. `host:port`, `[v6]:port`, a URL, or `{ host, port }`. */
import { isIP } from 'node:net';
import { describeValue } from './errors.js';
import { formatHostPort, redactUrl, unbracket } from './hop.js';
import { fits, invalid, PORT } from './validate.js';

export interface Target {
  host: string;
  port: number;
}

export type TargetInput = string | { host: string; port: number | string };

const URL_PORTS: Record<string, number> = {
  'http:': 80,
  'https:': 443,
  'ws:': 80,
  'wss:': 443,
  'ftp:': 21,
  'smtp:': 25,
  'ssh:': 22,
};

export function parseTarget(input: TargetInput): Target {
  if (typeof input === 'object' && input !== null) {
    const { host, port } = input;
    if (typeof host !== 'string') throw invalid('target host must be a string');
    if (typeof port !== 'number' && !(typeof port === 'string' && /^\d+$/.test(port))) {
      throw invalid(`target port must be a number, got ${typeof port}`);
    }
    return checked(unbracket(host), Number(port), input);
  }
  if (typeof input !== 'string') throw invalid('target must be host:port, a URL or { host, port }');
  const text = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalid(`not a valid target URL: ${redactUrl(text)}`);
    }
    const port = url.port === '' ? URL_PORTS[url.protocol] : Number(url.port);
    if (port === undefined)
      throw invalid(`no default port for ${url.protocol} in target ${redactUrl(text)}; add :port`);
    return checked(unbracket(url.hostname), port, text);
  }
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(text);
  if (!match) throw invalid(`target must be host:port, [ipv6]:port or a URL, got "${redactUrl(text)}"`);
  return checked(match[1] ?? match[2] ?? '', Number(match[3]), text);
}

function checked(host: string, port: number, original: unknown): Target {
  host = isIP(host) ? host : host.toLowerCase().replace(/\.$/, '');
  if (host === '' || /[\s/@]/.test(host)) throw invalid(`target has no valid host: ${describe(original)}`);
  if (!fits(port, PORT)) {
    throw invalid(`target port must be 1-65535: ${describe(original)}`);
  }
  return { host, port };
}

export function formatTarget(target: Target): string {
  return formatHostPort(target.host, target.port);
}

/** The input as given, for messages: a URL's password redacted, objects shown as their fields' kinds. */
function describe(value: unknown): string {
  if (typeof value === 'string') return redactUrl(value);
  const { host, port } = value as { host?: unknown; port?: unknown };
  return `{ host: ${describeValue(host)}, port: ${describeValue(port)} }`;
}
