/**
 * proxychains.conf errors quote what they refuse, redacted.
 * A proxy URL written before [ProxyList] is read as a directive, and the "unknown directive"
 * error quotes it whole, password included.
 */
import { expect, it } from 'vitest';
import { parseProxychainsConf } from '../../src/config/proxychains-conf.js';
import { renderings } from './fuzz.js';

it('a proxy URL before [ProxyList] is refused without quoting its password', () => {
  let error: unknown;
  try {
    parseProxychainsConf('strict_chain\nsocks5://alice:SECRET@127.0.0.1:1080\n');
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
  for (const text of renderings(error)) expect(text).not.toContain('SECRET');
});
