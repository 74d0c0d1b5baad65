/**
 * The PAC functions that would touch the network, replaced so that evaluating a PAC file
 * sends nothing anywhere. pac-resolver's own versions resolve the target's name through
 * the system resolver (dnsResolve, isResolvable, isInNet) and find "my IP" by opening a
 * connection to 8.8.8.8 (myIpAddress). Here:
 * - myIpAddress(): the first non-internal IPv4 address of this machine's interfaces
 *   (os.networkInterfaces), else 127.0.0.1; no packet is sent.
 * - dnsResolve(host) / isResolvable(host) / isInNet(host, ...): an IP literal is used as it
 *   is, `localhost` is 127.0.0.1; any other name is resolved only when the chain resolves
 *   names itself (`dns: 'local'`). With the default `dns: 'remote'` the last proxy resolves
 *   target names, so asking the local resolver here would leak them: dnsResolve gives null,
 *   isResolvable false, isInNet false.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { DnsMode } from '../chain/dns-rule.js';

export type PacSandbox = Record<string, (...args: never[]) => unknown>;

export function pacSandbox(dns: DnsMode): PacSandbox {
  const resolve = async (host: unknown): Promise<string | null> => {
    if (typeof host !== 'string') return null;
    if (isIP(host) === 4) return host;
    if (host.toLowerCase() === 'localhost') return '127.0.0.1';
    if (dns !== 'local' || isIP(host) === 6) return null;
    try {
      return (await lookup(host, { family: 4 })).address;
    } catch {
      return null;
    }
  };
  return {
    dnsResolve: async (host: string) => resolve(host),
    isResolvable: async (host: string) => (await resolve(host)) !== null,
    isInNet: async (host: string, pattern: string, mask: string) => {
      const address = await resolve(host);
      return address !== null && inNet(address, pattern, mask);
    },
    myIpAddress: async () => myIpAddress(),
  };
}

function myIpAddress(): string {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
  }
  return '127.0.0.1';
}

function toNumber(address: string): number | undefined {
  if (isIP(address) !== 4) return undefined;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inNet(address: string, pattern: string, mask: string): boolean {
  const [a, p, m] = [toNumber(address), toNumber(pattern), toNumber(mask)];
  if (a === undefined || p === undefined || m === undefined) return false;
  // Unsigned 32-bit AND without sign trouble.
  return (a & m) >>> 0 === (p & m) >>> 0;
}
