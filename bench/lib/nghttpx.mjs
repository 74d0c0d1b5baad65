// nghttpx (Debian nghttp2-proxy) as an HTTP/2 proxy in front of a test-bed proxy, for the
// h2 benchmark: started here on an ephemeral port with the test bed's server certificate.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { dirname, join } from 'node:path';

export function hasNghttpx() {
  return spawnSync('nghttpx', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startNghttpx(caFile, backendPort) {
  const tls = dirname(caFile);
  const port = await freePort();
  const child = spawn(
    'nghttpx',
    [
      '--conf=/dev/null',
      '-s',
      `--frontend=127.0.0.1,${port}`,
      `--backend=127.0.0.1,${backendPort}`,
      '--no-ocsp',
      '--single-process',
      '--backend-connections-per-host=256',
      '--errorlog-file=/dev/null',
      '--accesslog-file=/dev/null',
      join(tls, 'server.key'),
      join(tls, 'server.crt'),
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i++) {
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.destroy() || true));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100 || child.exitCode !== null) throw new Error('nghttpx did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
