/**
 * When a batch of one table is due for insert (pure: times in, decisions out; the bridge worker holds the
 * timers). A batch is due when it holds `maxRows` messages, when it is `maxAgeMs` × the age scale old, or, if
 * `earlyRows` is set, when it holds that many messages and is `maxAgeMs` old (docs/configuration.md).
 */
export interface BatchRules {
  maxRows: number
  maxAgeMs: number
  /** 0: never early. */
  earlyRows: number
}

export interface BatchDeadlines {
  /** Due by age, epoch ms. */
  dueAt: number
  /** Due if it holds earlyRows messages, epoch ms (= dueAt when not earlier). */
  earlyAt: number
}

/** `ageScale`: how many times longer than maxAgeMs the batch may wait (the inverse of the partition share; ≥ 1). */
export function deadlinesFor(openedAt: number, rules: BatchRules, ageScale: number): BatchDeadlines {
  const ageMs = Math.round(rules.maxAgeMs * Math.max(1, ageScale))
  const dueAt = openedAt + ageMs
  // Checked at the unscaled age: early if large enough, else the age bound.
  const earlyAt = rules.earlyRows > 0 && ageMs > rules.maxAgeMs ? openedAt + rules.maxAgeMs : dueAt
  return { dueAt, earlyAt }
}

export function isDue(size: number, now: number, deadlines: BatchDeadlines, rules: BatchRules): boolean {
  return now >= deadlines.dueAt || dueEarly(size, now, deadlines, rules)
}

/** Due before its age bound: full, or holding earlyRows messages past the early check. */
export function dueEarly(size: number, now: number, deadlines: BatchDeadlines, rules: BatchRules): boolean {
  return size >= rules.maxRows || (rules.earlyRows > 0 && size >= rules.earlyRows && now >= deadlines.earlyAt)
}

/**
 * Checked as each message is added: the batch just became full, or just reached `earlyRows` past its early
 * check (once: a larger batch is due by the timer at the early check).
 */
export function filledUp(size: number, now: number, deadlines: BatchDeadlines, rules: BatchRules): boolean {
  return size >= rules.maxRows || (size === rules.earlyRows && now >= deadlines.earlyAt)
}

/** When the worker should look at the batch next: the early check if one comes first, else the age bound. */
export function nextCheckAt(deadlines: BatchDeadlines): number {
  return Math.min(deadlines.earlyAt, deadlines.dueAt)
}
