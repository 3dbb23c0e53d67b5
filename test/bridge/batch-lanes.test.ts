import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BatchLanes } from '../../src/bridge/batch-lanes.ts'
import { OffsetTracker } from '../../src/core/offset-tracker.ts'
import { TableNames } from '../../src/core/rows.ts'

test('an early batch goes at its early check even when the clock turns a millisecond while its timer decides', async (t) => {
  const tracker = new OffsetTracker()
  const dueAfter: number[] = []
  const opened = Date.now()
  const lanes = new BatchLanes({
    // Early at 20 ms with 5 rows; else at the scaled age, 20 ms × 150 = 3 s.
    rules: { maxRows: 100, maxAgeMs: 20, earlyRows: 5 },
    ageScale: () => 150,
    startBatch: () => tracker.startBatch(),
    onDue: () => dueAfter.push(Date.now() - opened)
  })
  const lane = lanes.get(TableNames.trade)
  const batch = lanes.openBatch(lane)
  for (let i = 0; i < 5; i++)
    batch.addRow(`{"o":${i}}\n`, {
      topic: 't',
      partition: 0,
      offset: BigInt(i),
      key: undefined,
      value: undefined
    })
  const { earlyAt } = lane.deadlines
  // Nothing else reads the clock until the timer does: its first reading at or past the early check is made a
  // millisecond short of it, as when the millisecond turns between two readings in the same callback.
  const realNow = Date.now.bind(Date)
  let turned = false
  Date.now = () => {
    const now = realNow()
    if (turned || now < earlyAt) return now
    turned = true
    return earlyAt - 1
  }
  t.after(() => {
    Date.now = realNow
    lanes.take(lane)
  })
  await sleep(500)
  Date.now = realNow
  assert.ok(turned, 'the timer read the clock at its early check')
  assert.equal(dueAfter.length, 1, 'due once, within 500 ms (not at the scaled age of 3 s)')
  assert.ok((dueAfter[0] as number) < 500, `due after ${dueAfter[0]} ms`)
})
