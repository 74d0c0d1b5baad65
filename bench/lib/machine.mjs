// What the figures were measured on, recorded with every result file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const ROOT = new URL('../../', import.meta.url);

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function debVersion(name) {
  try {
    // dpkg's own ${Version} field syntax, not a template literal.
    const format = ['$', '{Version}'].join('');
    return execFileSync('dpkg-query', ['-W', '-f', format, name], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function machine() {
  const own = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
  return {
    cpu: os.cpus()[0]?.model,
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))),
    versions: {
      sockschain: own.version,
      socks: packageVersion('socks'),
      'https-proxy-agent': packageVersion('https-proxy-agent'),
      'http-proxy-agent': packageVersion('http-proxy-agent'),
      'socks-proxy-agent': packageVersion('socks-proxy-agent'),
      undici: packageVersion('undici'),
      proxychains4: debVersion('proxychains4'),
      curl: debVersion('curl'),
    },
  };
}
