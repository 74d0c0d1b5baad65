/**
 * The proxy variables `sockschain run` gives its child, and the `export` lines `run --print-env`
 * prints for a long-running `serve`. Which programs read which variable is in docs/cli.md.
 */

export interface ProxyEndpoints {
  /** http://[user:pass@]host:port of the HTTP listener (CONNECT and http:// forwarding). */
  http: string;
  /** socks5h://[user:pass@]host:port of the SOCKS listener (names resolved by the chain). */
  socks: string;
}

/** Variables set for the child, in the order printed. */
export function proxyVariables(endpoints: ProxyEndpoints, noProxy: readonly string[]): [string, string][] {
  const { http, socks } = endpoints;
  const vars: [string, string][] = [
    // curl reads only the lower-case http_proxy (CGI's HTTP_PROXY header would spoof it); Go,
    // Python, wget, git (libcurl), npm and pip read one or both spellings.
    ['http_proxy', http],
    ['HTTP_PROXY', http],
    ['https_proxy', http],
    ['HTTPS_PROXY', http],
    // curl, git (libcurl) and a few others; socks5h: the chain resolves names, not this machine.
    ['all_proxy', socks],
    ['ALL_PROXY', socks],
    // npm and pip also take a proxy from their config files; these variables win over them.
    ['npm_config_proxy', http],
    ['npm_config_https_proxy', http],
    ['PIP_PROXY', http],
  ];
  const bypass = noProxyValue(noProxy);
  vars.push(['no_proxy', bypass], ['NO_PROXY', bypass]);
  return vars;
}

/**
 * The chain's bypass rules in the common NO_PROXY dialect: `*.example.com` becomes
 * `.example.com` (curl and Python do not take the star). CIDR ranges and host:port entries
 * pass as they are: curl >= 7.86 and Go read ranges, Python and Go read ports; tools that do not
 * send those targets through the local proxy, which routes them as the chain's rules say anyway.
 * Always set, empty when there are none, so that a NO_PROXY of the caller (often
 * `localhost,127.0.0.1`) does not send the child's traffic around the chain.
 */
export function noProxyValue(entries: readonly string[]): string {
  return entries.map((entry) => entry.replace(/^\*\./, '.')).join(',');
}

/** Variables the child must not inherit: a child sockschain would use the chain itself. */
export const DROPPED_VARIABLES = ['PROXY_CHAIN', 'SOCKSCHAIN_CONFIG', 'SOCKSCHAIN_SERVE_AUTH'] as const;

/** The child's environment: the caller's, minus DROPPED_VARIABLES, plus the proxy variables. */
export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  endpoints: ProxyEndpoints,
  noProxy: readonly string[],
): NodeJS.ProcessEnv {
  const env = { ...parent };
  for (const name of DROPPED_VARIABLES) delete env[name];
  for (const [name, value] of proxyVariables(endpoints, noProxy)) env[name] = value;
  return env;
}

/**
 * `export` lines for a `serve` the user runs. The credential is never written out: with
 * `authVariable`, the URLs refer to it as `${NAME}` and the shell fills it in when it reads
 * the lines (so it must be set there too, and must hold no `@`, `/` or `%`).
 */
export function exportLines(
  listeners: { http: string; socks: string },
  noProxy: readonly string[],
  authVariable: string | undefined,
): string {
  const withAuth = (url: string) => (authVariable ? url.replace('://', `://\${${authVariable}}@`) : url);
  const endpoints = { http: withAuth(listeners.http), socks: withAuth(listeners.socks) };
  return proxyVariables(endpoints, noProxy)
    .map(([name, value]) => `export ${name}="${value}"\n`)
    .join('');
}
