/**
 * SOCKS5 and the onProxyAuth hook: a hop without credentials whose chain (or own `auth`) has
 * a hook also offers user/password; if the proxy picks it, the hook is asked for the
 * credentials (a challenge `{ scheme: 'socks5', params: { method: 'username/password' } }`).
 * Only credentials make sense here; headers or undefined leave the proxy's demand unmet.
 */
import type { ProxyAuthAnswer, ProxyAuthHook } from '../../hop-auth.js';
import { type HopContext, hopError } from '../context.js';

export function socksHook(ctx: HopContext): ProxyAuthHook | undefined {
  return ctx.hop.auth.onProxyAuth ?? ctx.auth?.onProxyAuth;
}

/** The user/password the hook gives for this hop; AUTH_REQUIRED when it gives none. */
export async function hookCredentials(ctx: HopContext): Promise<{ username: string; password: string }> {
  const hook = socksHook(ctx);
  let answer: ProxyAuthAnswer;
  try {
    answer = await hook?.({
      hopIndex: ctx.index,
      hop: ctx.hop.url,
      challenges: [{ scheme: 'socks5', params: { method: 'username/password' } }],
      attempt: 1,
    });
  } catch (error) {
    throw hopError(ctx, 'AUTH_FAILED', 'auth', 'onProxyAuth threw', { cause: error });
  }
  if (
    answer &&
    'username' in answer &&
    typeof answer.username === 'string' &&
    typeof answer.password === 'string'
  ) {
    return { username: answer.username, password: answer.password };
  }
  throw hopError(
    ctx,
    'AUTH_REQUIRED',
    'auth',
    'proxy wants credentials (SOCKS5 user/password) and onProxyAuth gave none',
    {
      reply: 'SOCKS5 method 0x02',
    },
  );
}
