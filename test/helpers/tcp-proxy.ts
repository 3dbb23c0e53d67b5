import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

/**
 * A loopback TCP proxy that can cut the line: the outage a test needs from a real server without stopping
 * the server every other test shares. block() drops every open connection and refuses new ones.
 */
export interface TcpProxy {
  port: number
  block(): void
  unblock(): void
  close(): Promise<void>
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let blocked = false
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    if (blocked) return void client.destroy()
    const upstream = connect(targetPort, targetHost)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    block() {
      blocked = true
      for (const socket of sockets) socket.destroy()
    },
    unblock() {
      blocked = false
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}
