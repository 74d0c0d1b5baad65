/**
 * proxychains' `localnet` ranges as NO_PROXY entries: `192.168.1.0:80/255.255.255.0`,
 * `10.0.0.0/8`, `[::]:80/0`, `::1/128` become `192.168.1.0/24:80`, `10.0.0.0/8`, `::/0:80`,
 * `::1/128` (an address range, then the port when there is one).
 */
import { isIP } from 'node:net';
import { fits, invalid, parseWhole } from '../validate.js';

/** `where`: the file and line, for errors. */
export function localnetToNoProxy(spec: string, where: string): string {
  const fail = (message: string) => invalid(`${where}: ${message}`);
  const slash = spec.lastIndexOf('/');
  if (slash === -1 || /\s/.test(spec)) {
    throw fail(`localnet is written address[:port]/netmask, e.g. 192.168.0.0/255.255.0.0, got "${spec}"`);
  }
  const left = spec.slice(0, slash);
  const mask = spec.slice(slash + 1);
  let address = left;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(left);
  if (bracketed) {
    address = bracketed[1] ?? '';
    port = bracketed[2];
  } else if (left.split(':').length === 2) {
    [address = '', port] = left.split(':');
  }
  const family = isIP(address);
  if (family === 0) throw fail(`localnet address "${address}" is not an IP address`);
  if (port !== undefined && !fits(parseWhole(port), { whole: true, min: 0, max: 65535 })) {
    throw fail(`localnet port must be 0-65535 (0: any), got "${port}"`);
  }
  const max = family === 4 ? 32 : 128;
  // A prefix length in digits only: Number() would read "" as 0 (every address) and "1e1" as 10.
  const prefix = family === 4 && mask.includes('.') ? maskToPrefix(mask, where) : parseWhole(mask);
  if (!fits(prefix, { whole: true, min: 0, max })) {
    throw fail(`localnet netmask "${mask}" must be a netmask or a prefix length 0-${max}`);
  }
  // proxychains' "any port" is port 0 or none.
  const portPart = port === undefined || Number(port) === 0 ? '' : `:${Number(port)}`;
  return `${address}/${prefix}${portPart}`;
}

function maskToPrefix(mask: string, where: string): number {
  const fail = (message: string) => invalid(`${where}: ${message}`);
  if (isIP(mask) !== 4) throw fail(`localnet netmask "${mask}" is not a valid netmask`);
  const bits = mask
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
  if (!/^1*0*$/.test(bits)) throw fail(`localnet netmask "${mask}" is not contiguous`);
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
}
