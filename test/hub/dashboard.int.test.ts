import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { projectRoot } from '../../src/config/load.ts'
import { fakeHeartbeat, hubWithBridges, postHeartbeat, TEST_HUB_TOKEN } from '../helpers/hub.ts'
import { streamTrades, uniqueTrades } from '../helpers/load.ts'
import { testEnv } from '../helpers/stack.ts'

const CHROMIUM = '/usr/bin/chromium'
const artifacts = join(projectRoot, 'test-artifacts')

test('dashboard in headless Chromium: shows the running instances and rows, and marks a killed one dead live', async (t) => {
  const env = await testEnv(t)
  const deadAfterMs = 2_000
  const { hub, bridges, ids } = await hubWithBridges(t, env, 2, deadAfterMs)
  const [first = '', second = ''] = ids

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 90_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  t.after(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } })
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${hub.url}/`)

  const row = (id: string, state: string) => `#instances tr[data-instance="${id}"][data-state="${state}"]`
  await page.waitForSelector(row(first, 'alive'), { timeout: 60_000 })
  await page.waitForSelector(row(second, 'alive'), { timeout: 60_000 })
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 })
  // Trades flow while the page is watched (about 15 s), so rates are non-zero and the charts have a shape.
  const streaming = streamTrades(env.config, uniqueTrades(6_000, 31), 400)
  streaming.catch(() => {}) // awaited at the end; if the test fails first, its topics go away mid-stream
  await page.waitForFunction(
    () => /trades [1-9]/.test(document.getElementById('tables')?.textContent ?? ''),
    null,
    {
      timeout: 30_000
    }
  )
  await page.waitForFunction(
    () =>
      Number((document.getElementById('total-bridge-rate')?.textContent ?? '0').replace(/[^0-9]/g, '')) > 0,
    null,
    { timeout: 30_000 }
  )
  assert.match((await page.textContent('#total-instances')) ?? '', /2 alive/)
  await page.waitForFunction(
    (partitions) => document.querySelectorAll('#lag tbody tr[data-partition]').length >= partitions,
    env.config.topics.partitions,
    { timeout: 10_000 } // lag is polled every 2 s
  )
  assert.ok((await page.locator('#chart-rate canvas').count()) > 0, 'the rate chart is drawn')
  await page.waitForTimeout(4_000) // a few more seconds of points, so the screenshot's charts have a shape
  mkdirSync(artifacts, { recursive: true })
  await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true })

  bridges[1]?.child.kill('SIGKILL')
  await page.waitForSelector(row(second, 'dead'), { timeout: deadAfterMs + 5_000 })
  await page.waitForSelector(`#events li[data-kind="died"][data-instance="${second}"]`, { timeout: 5_000 })
  assert.match((await page.textContent('#total-instances')) ?? '', /1 alive · 1 dead/)
  assert.equal(await page.locator(row(first, 'alive')).count(), 1)
  await page.screenshot({ path: join(artifacts, 'dashboard-after-kill.png'), fullPage: true })

  // A live instance whose /readyz says no is shown as alive but NOT READY, with the reason.
  const reason = 'Kafka consumer lost: reconnecting and rejoining the group'
  const unready = fakeHeartbeat('bridge-unready', { ready: { ready: false, reason } })
  assert.equal((await postHeartbeat(hub.url, unready, TEST_HUB_TOKEN)).status, 200)
  await page.waitForSelector(`${row('bridge-unready', 'alive')} td.not-ready`, { timeout: 5_000 })
  assert.match(
    (await page.textContent(row('bridge-unready', 'alive'))) ?? '',
    /NOT READY: Kafka consumer lost/
  )
  assert.doesNotMatch((await page.textContent(row(first, 'alive'))) ?? '', /NOT READY/)

  // The pool column: bridges of every type are the pool `all`; a worker pool's bridge shows its pool.
  assert.equal(await page.textContent(`${row(first, 'alive')} td.pool`), 'all')
  const pooled = fakeHeartbeat('bridge-depth-1', { pool: { name: 'depth', group: 'g-depth', topics: [] } })
  assert.equal((await postHeartbeat(hub.url, pooled, TEST_HUB_TOKEN)).status, 200)
  await page.waitForSelector(`${row('bridge-depth-1', 'alive')} td.pool`, { timeout: 5_000 })
  assert.equal(await page.textContent(`${row('bridge-depth-1', 'alive')} td.pool`), 'depth')
  assert.deepEqual(pageErrors, [], 'no script errors on the page')
  await streaming
})
