/** The demo's web server: one small page that says who connected, so the tunnel shows. */
import http from 'node:http';
import { listenOnLoopback } from './listen.js';

export interface DemoOrigin {
  port: number;
  close(): Promise<void>;
}

export const PAGE_TITLE = 'Hello from the sockschain demo origin';

export async function startOrigin(): Promise<DemoOrigin> {
  const server = http.createServer((req, res) => {
    const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const body = `<!doctype html>\n<title>${PAGE_TITLE}</title>\n<h1>${PAGE_TITLE}</h1>\n<p>${req.method} ${req.url} arrived from ${from}: the last proxy's side of the tunnel.</p>\n`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
