import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { test } from 'node:test'
import WebSocket from 'ws'
import { localExchanges } from '../../src/sim/local-exchanges.ts'
import { simProtocols } from '../../src/sim/protocols/index.ts'
import { startSimServer } from '../../src/sim/server.ts'
import { silentLog } from '../helpers/stack.ts'

const sim = (port: number) =>
  startSimServer(
    simProtocols.wallex!.protocol,
    { port, tradesPerSecond: 100, bookEveryMs: 100, seed: 1 },
    silentLog
  )

test('every local exchange server refuses a taken port with the port and what to do, and starts nothing', async (t) => {
  const holder = createServer()
  holder.listen(0, '127.0.0.1')
  await once(holder, 'listening')
  t.after(() => holder.close())
  const port = (holder.address() as AddressInfo).port
  const refused = { code: 'TB_PORT_IN_USE', message: new RegExp(`Port ${port} on 127.0.0.1 is in use`) }

  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  await assert.rejects(sim(port), refused, 'the simulator (Wallex, Polygon)')
  for (const [name, exchange] of Object.entries(localExchanges)) {
    await assert.rejects(
      exchange.start({ port, host: '127.0.0.1', symbols: exchange.symbols, seed: 1, tradesPerSecond: 10 }),
      refused,
      name
    )
    // A timer left running would keep `tickbridge sim --serve` alive after printing the error.
    assert.equal(timers(), before, `${name}: no timer left running`)
  }
})

test('a client frame the protocol forbids ends that connection, not the simulator', async (t) => {
  const server = await sim(0)
  t.after(() => server.close())

  const rude = new WebSocket(server.url)
  await once(rude, 'open')
  // A client's frames must be masked (RFC 6455 5.1): write an unmasked text frame under ws's framing.
  const closed = once(rude, 'close')
  rude.on('error', () => undefined)
  ;(rude as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
    Buffer.from([0x81, 0x02, 0x68, 0x69])
  )
  const [code] = await closed
  assert.equal(code, 1002, 'closed as a protocol error')

  const polite = new WebSocket(server.url)
  await once(polite, 'open')
  polite.close()
  await once(polite, 'close')
})
