/** Free loopback TCP ports: never 6379, never the same port twice in one process. */
import { createServer } from 'node:net';
import { HOST } from './env.js';

const handedOutPorts = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('unexpected server address'));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** A currently free loopback TCP port; never returns the same port twice in one process. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await probePort();
    if (port === 6379 || handedOutPorts.has(port)) continue;
    handedOutPorts.add(port);
    return port;
  }
  throw new Error('freePort: could not find an unused port after 100 attempts');
}

/** True if nothing listens on 127.0.0.1:port (we can bind it). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
