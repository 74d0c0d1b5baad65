/** Listener credentials: parsing `user:pass` and comparing without leaking timing. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { invalid } from '../validate.js';

export interface ListenerAuth {
  username: string;
  password: string;
}

/** `user:pass` (split at the first colon); SOCKS5 caps each at 255 bytes. */
export function parseAuth(text: string): ListenerAuth {
  const colon = text.indexOf(':');
  const username = colon === -1 ? text : text.slice(0, colon);
  const password = colon === -1 ? '' : text.slice(colon + 1);
  checkAuth({ username, password });
  return { username, password };
}

export function checkAuth(auth: ListenerAuth): void {
  for (const [name, value] of [
    ['user name', auth.username],
    ['password', auth.password],
  ] as const) {
    const bytes = typeof value === 'string' ? Buffer.byteLength(value) : 0;
    if (bytes < 1 || bytes > 255) {
      throw invalid(`listener auth needs a ${name} of 1-255 bytes: give it as user:pass`);
    }
  }
}

export function credentialsMatch(expected: ListenerAuth, username: string, password: string): boolean {
  // Equal-length digests: timingSafeEqual needs them, and nothing leaks through the length.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  const userOk = timingSafeEqual(digest(expected.username), digest(username));
  const passOk = timingSafeEqual(digest(expected.password), digest(password));
  return userOk && passOk;
}
