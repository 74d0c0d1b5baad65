// The real-proxy test bed (scripts/testbed): its servers as hops, and whether it is up.
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';

const STATE = process.env.TESTBED_STATE ?? new URL('../../.testbed/', import.meta.url).pathname;

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('close', () => resolve(false));
    socket.once('error', () => {});
  });
}

/** The test bed's description, or undefined (with the reason printed) when it is not running. */
export async function loadTestbed(needed) {
  const file = `${STATE.replace(/\/$/, '')}/testbed.json`;
  if (!existsSync(file)) {
    console.log(`test bed: ${file} not found (run scripts/testbed/start.sh): skipping real-proxy runs`);
    return undefined;
  }
  const bed = JSON.parse(readFileSync(file, 'utf8'));
  const byName = new Map(bed.servers.map((server) => [server.name, server]));
  const ports = [['origin', bed.origins.http.port], ...needed.map((name) => [name, byName.get(name)?.port])];
  for (const [name, port] of ports) {
    if (port === undefined || !(await portOpen(port))) {
      console.log(`test bed: ${name} is not answering: skipping real-proxy runs`);
      return undefined;
    }
  }
  return {
    ...bed,
    /**
     * A test-bed server as a bench hop ({ protocol, host, port, auth }); `pipelining: false`
     * for microsocks, which reads each handshake message with one recv() and drops the rest.
     */
    hop(name, port) {
      const server = byName.get(name);
      if (!server) throw new Error(`no test-bed server ${name}`);
      const auth = server.auth
        ? { username: server.auth.username, password: server.auth.password }
        : undefined;
      const pipelining = server.kind !== 'microsocks';
      return {
        protocol: server.protocol,
        host: '127.0.0.1',
        port: port ?? server.port,
        auth,
        name,
        pipelining,
      };
    },
  };
}
