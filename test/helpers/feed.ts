import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { WebSocketServer, type WebSocket } from 'ws'
import { startFeed, type RunningFeed } from '../../src/feed/run.ts'
import { eventually, silentLog, type TestEnv } from './stack.ts'

/**
 * A bare local exchange server (tests send the frames themselves through `sockets`) and a Wallex v1 feed
 * connected to it, producing to this test's topics. Both are stopped after the test.
 */
export async function feedWithLocalExchange(
  t: TestContext,
  env: TestEnv,
  extra: { natsUrl?: string } = {}
): Promise<{ feed: RunningFeed; sockets: WebSocket[] }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const sockets: WebSocket[] = []
  server.on('connection', (socket) => sockets.push(socket))
  const feed = await startFeed(
    env.config,
    {
      exchange: 'wallex',
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
      protocol: 1,
      symbols: ['BTCUSDT'],
      depthIntervalMs: 7_000,
      instanceId: `test-feed-${env.id}`,
      statsIntervalMs: 0,
      ...extra
    },
    silentLog
  )
  t.after(async () => {
    await feed.stop()
    server.close()
  })
  await eventually(
    async () => sockets.length === 1,
    () => 'feed did not connect',
    10_000
  )
  return { feed, sockets }
}
