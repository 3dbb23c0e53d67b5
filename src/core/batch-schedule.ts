/**
 * When a batch of one table is due for insert (pure: times in, decisions out; the bridge worker holds the
 * timers). A batch is due when it holds `maxRows` messages, when it is `maxAgeMs` × `ageScale` old, or, if
 * `earlyRows` is set, when it holds that many messages and is `maxAgeMs` old (docs/configuration.md).
 */
export interface BatchRules {
  maxRows: number
  maxAgeMs: number
  /** How many times longer than maxAgeMs a batch may wait (≥ 1: the inverse of the bridge's partition share). */
  ageScale: number
  /** 0: never early. */
  earlyRows: number
}

export interface BatchDeadlines {
  /** Due by age, epoch ms. */
  dueAt: number
  /** Due if it holds earlyRows messages, epoch ms (= dueAt when not earlier). */
  earlyAt: number
}

export function deadlinesFor(openedAt: number, rules: BatchRules): BatchDeadlines {
  const ageMs = Math.round(rules.maxAgeMs * Math.max(1, rules.ageScale))
  const dueAt = openedAt + ageMs
  // Checked at the unscaled age: early if large enough, else the age bound.
  const earlyAt = rules.earlyRows > 0 && ageMs > rules.maxAgeMs ? openedAt + rules.maxAgeMs : dueAt
  return { dueAt, earlyAt }
}

export function isDue(
  size: number,
  now: number,
  deadlines: BatchDeadlines,
  rules: Pick<BatchRules, 'maxRows' | 'earlyRows'>
): boolean {
  return (
    size >= rules.maxRows ||
    now >= deadlines.dueAt ||
    (rules.earlyRows > 0 && size >= rules.earlyRows && now >= deadlines.earlyAt)
  )
}

/** When the worker should look at the batch next: the early check if one comes first, else the age bound. */
export function nextCheckAt(deadlines: BatchDeadlines): number {
  return Math.min(deadlines.earlyAt, deadlines.dueAt)
}
