// Start the lab's listener, turning a taken port into a typed error that callers can explain (before any file is
// written, so a second lab never spoils the files of the one already running there).
import type { FastifyInstance } from 'fastify';

/** The lab's port is taken (by another lab, most likely). `code` is stable for callers. */
export class LabPortInUseError extends Error {
  override name = 'LabPortInUseError';
  readonly code = 'LAB_PORT_IN_USE';
  readonly port: number;
  readonly host: string;
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use (another lab?)`);
    this.host = host;
    this.port = port;
  }
}

/** Listen on host:port and return the port bound (port 0 picks a free one). */
export async function listenLab(app: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new LabPortInUseError(host, port);
    throw err;
  }
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
