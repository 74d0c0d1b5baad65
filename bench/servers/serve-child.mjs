// The child side of bench/lib/child.mjs: build servers from the JSON spec in argv, report
// their ports over IPC, and exit when the parent goes away.
import net from 'node:net';

export async function serveChild(build) {
  const spec = JSON.parse(process.argv[2] ?? '{}');
  const ports = await build(spec);
  process.send({ ports });
  process.on('disconnect', () => process.exit(0));
}

/** Listens on an ephemeral 127.0.0.1 port; a large backlog for bursts of thousands of connects. */
export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve(server.address().port));
  });
}

export function tcpServer(handler, options = {}) {
  return net.createServer({ noDelay: true, ...options }, handler);
}
