/**
 * The demo's TLS certificate and key for 127.0.0.1/localhost (assets/demo/README.md). The
 * key ships with the package, so it protects nothing: the demo trusts it for its own
 * HTTPS proxy only, passed as `ca` to its own chain.
 */
import { readFileSync } from 'node:fs';

// From dist/cli/demo/ and from src/cli/demo/ alike, the package root is three levels up.
const asset = (name: string) =>
  readFileSync(new URL(`../../../assets/demo/${name}`, import.meta.url), 'utf8');

export function demoTls(): { key: string; cert: string } {
  return { key: asset('demo-localhost.key'), cert: asset('demo-localhost.crt') };
}
