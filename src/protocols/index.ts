/** One entry per scheme: the handshake a hop speaks once its transport is up. */
import type { Duplex } from 'node:stream';
import type { HopContext } from './context.js';
import { httpConnect } from './http-connect.js';
import { socksHandshake } from './socks/handshake.js';

export function handshake(socket: Duplex, ctx: HopContext): Promise<void> {
  switch (ctx.hop.protocol) {
    case 'http':
    case 'https':
      return httpConnect(socket, ctx);
    default:
      return socksHandshake(socket, ctx);
  }
}

/** Schemes whose request can carry a host name for the hop to resolve. */
export function carriesHostnames(protocol: string): boolean {
  return protocol !== 'socks4';
}
