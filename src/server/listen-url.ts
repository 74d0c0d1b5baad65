/**
 * `--listen` URLs and the bind-safety rule: a listener on anything but loopback lets every
 * host that can reach it use the chain, so it needs credentials or an explicit opt-in.
 * Checked before anything is bound.
 */
import { isIP } from 'node:net';
import { formatHostPort, redactUrl, unbracket } from '../hop.js';
import { invalid } from '../validate.js';

/** 'socks' serves SOCKS4, SOCKS4a and SOCKS5 on one port; 'http' serves CONNECT and forwarding. */
export type ListenerKind = 'socks' | 'http';

export interface ListenSpec {
  kind: ListenerKind;
  host: string;
  port: number;
}

const KINDS: Record<string, ListenerKind> = {
  socks: 'socks',
  socks5: 'socks',
  socks5h: 'socks',
  socks4: 'socks',
  socks4a: 'socks',
  http: 'http',
};

const DEFAULT_PORTS: Record<ListenerKind, number> = { socks: 1080, http: 8080 };

export function parseListenUrl(raw: string): ListenSpec {
  const text = raw.trim();
  // A password may hold any character, even unparsable ones: redactUrl takes it out regardless.
  const safe = redactUrl(text);
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const kind = url ? KINDS[url.protocol.slice(0, -1).toLowerCase()] : undefined;
  if (!url || !kind) {
    throw invalid(
      `listen address must be socks5://HOST:PORT or http://HOST:PORT (e.g. socks5://127.0.0.1:1080), got "${safe}"`,
    );
  }
  if (url.username || url.password) {
    throw invalid(`listen address ${safe} must not hold credentials: give them as auth (--auth user:pass)`);
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    throw invalid(`listen address ${safe} must not have a path, query or fragment`);
  }
  const port = url.port === '' ? DEFAULT_PORTS[kind] : Number(url.port);
  return { kind, host: unbracket(url.hostname), port };
}

export function isLoopback(host: string): boolean {
  const bare = unbracket(host).toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(0+:){7}0*1$/.test(bare) || /^::ffff:127\./.test(bare);
  return false;
}

/** The listener as a URL a client can use (port 0 replaced by the bound one). */
export function listenerUrl(kind: ListenerKind, host: string, port: number): string {
  return `${kind === 'socks' ? 'socks5' : 'http'}://${formatHostPort(host, port)}`;
}

/** Refuses a public bind without credentials, naming both ways out. */
export function checkBindSafety(spec: ListenSpec, hasAuth: boolean, allowPublic: boolean): void {
  if (isLoopback(spec.host) || hasAuth || allowPublic) return;
  throw invalid(
    `refusing to listen on ${listenerUrl(spec.kind, spec.host, spec.port)} without credentials: it is not a loopback address, so anyone who can reach it could use the chain. Set listener credentials (--auth user:pass), or allow it explicitly (--allow-public)`,
  );
}
