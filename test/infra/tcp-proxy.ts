import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  /** Where clients connect instead of the target (127.0.0.1). */
  readonly port: number;
  /**
   * From now on forwards nothing, in either direction, on current and new connections, and
   * keeps every socket open: no FIN, no RST reaches either side, as when a host vanishes or a
   * network silently drops its packets. Permanent until close().
   */
  blackhole(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** A TCP proxy on a free local port that forwards each connection to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let blackholed = false;

  const track = (socket: Socket) => {
    sockets.add(socket);
    // Errors (a side that gave up and reset) are never passed on to the other side.
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  // Paused sockets read nothing, so a FIN or RST from either side is never seen, let alone
  // forwarded; half-open is allowed so that Node never ends a side on its own.
  const silence = (socket: Socket) => {
    socket.unpipe();
    socket.pause();
  };
  /** Forwards data and FIN both ways (piping resumes both); an error on one side resets the other. */
  const join = (client: Socket, upstream: Socket) => {
    client.pipe(upstream);
    upstream.pipe(client);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('error', () => (blackholed ? undefined : to.destroy()));
    }
  };

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    if (blackholed) return; // accepted, and then never answered
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    join(client, upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('tcp proxy: no port');

  return {
    port: address.port,
    blackhole() {
      blackholed = true;
      for (const socket of sockets) silence(socket);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
