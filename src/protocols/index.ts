/** One entry per scheme: the handshake a hop speaks once its transport is up. */
import type { Duplex } from 'node:stream';
import type { HopContext } from './context.js';
import { httpConnect, httpConnectRequest } from './http-connect.js';
import { pipelinedRequests, socksHandshake } from './socks/handshake.js';

/** Runs a hop's handshake; with `sent`, its requests were already written by `requests()`. */
export function handshake(socket: Duplex, ctx: HopContext, sent = false): Promise<void> {
  switch (ctx.hop.protocol) {
    case 'http':
    case 'https':
      return httpConnect(socket, ctx, sent);
    default:
      return socksHandshake(socket, ctx, sent);
  }
}

/** Every byte a hop's handshake will write, computed without any reply (for pipelining). */
export function requests(ctx: HopContext): Buffer {
  const isHttp = ctx.hop.protocol === 'http' || ctx.hop.protocol === 'https';
  return isHttp ? Buffer.from(httpConnectRequest(ctx), 'latin1') : pipelinedRequests(ctx);
}
