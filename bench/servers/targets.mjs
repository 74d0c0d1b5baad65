// Child process: tunnel targets. `sink` holds connections open and discards what arrives;
// `echo` sends back what arrives; `http` answers every request with a short body, keep-alive; `tls` (with cert and key PEM)
// is a TLS sink for tunnels that run TLS to the target.
import http from 'node:http';
import tls from 'node:tls';
import { listen, serveChild, tcpServer } from './serve-child.mjs';

const BODY = Buffer.from('ok\n');

function hold(socket) {
  socket.on('error', () => socket.destroy());
  socket.resume();
}

await serveChild(async (spec) => {
  const ports = {};
  if (spec.sink) ports.sink = await listen(tcpServer(hold));
  if (spec.echo) {
    ports.echo = await listen(
      tcpServer((socket) => {
        socket.on('error', () => socket.destroy());
        socket.pipe(socket);
      }),
    );
  }
  if (spec.http) {
    const server = http.createServer({ keepAliveTimeout: 60_000, noDelay: true }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
      res.end(BODY);
    });
    server.headersTimeout = 0;
    server.requestTimeout = 0;
    ports.http = await listen(server);
  }
  if (spec.tls) ports.tls = await listen(tls.createServer({ ...spec.tls, noDelay: true }, hold));
  return ports;
});
