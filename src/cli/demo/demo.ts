/**
 * `sockschain demo`: a web page and three proxies started in this process on 127.0.0.1,
 * chained (HTTP CONNECT with Basic auth -> SOCKS5 with user/password -> HTTPS proxy); then
 * probe through them, a page fetched through them with what each proxy logged, and one
 * failing hop diagnosed. Needs nothing but `npm install`; done in about a second.
 */
import { Chain } from '../../chain/chain.js';
import type { ConnectionRecord } from '../../server/log.js';
import { parseCommandLine, runCommand } from '../command.js';
import { sendRequest } from '../http-exchange.js';
import { failureLines } from '../output/format.js';
import { type CliIo, EXIT, UsageError } from '../output/io.js';
import { createStyle, type Style } from '../output/style.js';
import { formatMs } from '../output/table.js';
import { renderOne } from '../probe/render.js';
import { probeTarget } from '../probe/run.js';
import { version } from '../version.js';
import { type DemoSetup, startDemo } from './servers.js';

export const USAGE = `Usage: sockschain demo

Starts a small web server and three proxies on 127.0.0.1 (HTTP CONNECT with Basic auth,
SOCKS5 with user/password, an HTTPS proxy), chains them, probes the chain, fetches a page
through it, shows a failing hop being diagnosed, stops everything and exits.
Nothing leaves this machine. Exit status 0 when everything behaved as expected.
`;

export function run(argv: string[], io: CliIo): Promise<number> {
  return runCommand('demo', USAGE, argv, io, async () => {
    const { positionals } = parseCommandLine(argv, {});
    if (positionals.length > 0) throw new UsageError(`demo takes no arguments, got "${positionals[0]}"`);
    const style = createStyle(io.stdout, io.env);
    const out = (text = '') => io.stdout.write(`${text}\n`);
    const demo = await startDemo();
    try {
      return await show(demo, style, out);
    } finally {
      await demo.close();
    }
  });
}

async function show(demo: DemoSetup, style: Style, out: (text?: string) => void): Promise<number> {
  const chain = new Chain(
    demo.hops.map((hop) => hop.url),
    { ca: demo.ca, timeoutMs: 5000 },
  );
  const target = { host: '127.0.0.1', port: demo.origin.port };
  const page = `http://127.0.0.1:${demo.origin.port}/`;
  out(style.bold('sockschain demo: a web server and three proxies, all on this machine, chained'));
  out();
  out('  you -> hop 1 -> hop 2 -> hop 3 -> web server');
  out();
  chain.hops.forEach((hop, index) => {
    out(`  hop ${index + 1}  ${hop.url.padEnd(40)}  ${demo.hops[index]?.what}`);
  });
  out(`  web    ${page.padEnd(40)}  a small page`);
  out();

  out(
    style.bold(
      `1. sockschain probe 127.0.0.1:${demo.origin.port}: can we get there, and what does each step cost?`,
    ),
  );
  out();
  const userAgent = `sockschain/${version()}`;
  const text = { ...target, text: `127.0.0.1:${demo.origin.port}`, scheme: 'http' as const, path: '/' };
  const probe = await probeTarget(chain, text, { appCheck: false, userAgent });
  out(renderOne(chain, probe, style).trimEnd());
  out();

  out(style.bold(`2. sockschain fetch ${page}: a page through the tunnel`));
  out();
  // The probe's tunnel is logged as it closes: let those records land, then start afresh.
  await recordsArrive(demo);
  for (const hop of demo.hops) hop.records.length = 0;
  const began = performance.now();
  const socket = await chain.connect(target);
  let body = '';
  let status = 0;
  try {
    const { response } = await sendRequest(
      socket,
      {
        method: 'GET',
        path: '/',
        headers: { host: text.text, 'user-agent': userAgent, connection: 'close' },
      },
      5000,
    );
    status = response.statusCode ?? 0;
    for await (const chunk of response) body += String(chunk);
  } finally {
    socket.destroy();
  }
  const title = /<h1>(.*)<\/h1>/.exec(body)?.[1] ?? '';
  const from = /arrived from ([^:]+:\d+)/.exec(body)?.[1] ?? '?';
  out(`  GET / -> ${status} in ${formatMs(performance.now() - began)} ms, ${body.length} bytes: "${title}"`);
  out(`  the web server saw the request come from ${from}: hop 3's side of the tunnel, not yours.`);
  out();
  out('  What each proxy logged for that tunnel:');
  await recordsArrive(demo);
  demo.hops.forEach((hop, index) => {
    for (const record of hop.records) out(`    hop ${index + 1}  ${describe(record)}`);
  });
  out(style.dim("  (an outer hop also carries the inner hops' handshakes and TLS, so it counts more bytes)"));
  out();

  out(style.bold('3. When a hop fails, probe says which one and why: hop 2 with a wrong password'));
  out();
  const broken = new Chain(
    demo.hops.map((hop, index) => (index === 1 ? hop.url.replace(/:[^:@/]*@/, ':wrong-password@') : hop.url)),
    { ca: demo.ca, timeoutMs: 5000 },
  );
  const failed = await probeTarget(broken, text, { appCheck: false, userAgent });
  if (failed.error) out(failureLines(failed.error, style, '  ').trimEnd());
  out(`  exit status of that probe: ${failed.exitCode} (a hop failed)`);
  out();

  out(style.bold('Next'));
  out('  sockschain probe --chain socks5://user:pass@your-proxy:1080 example.com:443');
  out('  sockschain fetch --chain http://proxy:3128,socks5://other:1080 https://example.com/');
  out('  sockschain --help, and docs/cli.md for every command, option and exit code');
  const ok = probe.status === 'reachable' && status === 200 && failed.error?.code === 'AUTH_FAILED';
  if (!ok) out(style.red('\nThe demo did not go as expected: see above.'));
  return ok ? EXIT.ok : EXIT.software;
}

/** Proxies log a tunnel when it closes, a moment after our side closed it. */
async function recordsArrive(demo: DemoSetup): Promise<void> {
  const until = performance.now() + 1000;
  while (demo.hops.some((hop) => hop.records.length === 0) && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function describe(record: ConnectionRecord): string {
  const result =
    record.result === 'ok' ? 'ok' : `${record.result}${record.detail ? ` (${record.detail})` : ''}`;
  return `${(record.protocol ?? '?').padEnd(12)}  from ${record.client.padEnd(15)}  to ${record.target ?? '?'}: ${result}, ${record.bytesUp} bytes up, ${record.bytesDown} down`;
}
