/** Choosing the TCP port for the embedded server. */
import net from 'node:net';

/** Held by the system PostgreSQL on most hosts; picking it would make us fail or shadow it. */
const SYSTEM_PG_PORT = 5432;

/** `preferred` if it is free (and not 5432), else a free loopback port. */
export async function choosePort(preferred: number | undefined): Promise<number> {
  if (preferred && preferred !== SYSTEM_PG_PORT && (await portFree(preferred))) return preferred;
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port && port !== SYSTEM_PG_PORT) return port;
  }
  throw new Error('embedded postgres: could not find a free TCP port on 127.0.0.1');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
