import { messageTypes, type MessageType } from './messages.ts'

/**
 * Worker pools: bridges that consume only some message types, in a consumer group of their own, so a burst of
 * one type (depth) never delays another (trades): each pool has its own partitions, offsets, buffers and
 * backpressure. Pure: pool names, their types and consumer groups, and layouts (`trades=3,depth=2`).
 *
 * - The pool `all` consumes every type in BRIDGE_GROUP_ID: what a bridge without a pool does.
 * - Any other pool consumes its types in the group `<BRIDGE_GROUP_ID>-<pool>`.
 * - A pool's default name is the preset with exactly its types (`trade,candle` is `trades`), else its types
 *   joined with `-` in canonical order (`trade-quote`): one set of types, one group. A pool named by its
 *   types (`--pool candle-trade`) gets that name too; only a name that is not a type list is kept as given.
 */
export const ALL_POOL = 'all'
/** Suffix of a type-list name that is also a preset's name: `depth-only` is depth without quotes. */
const ONLY = '-only'

/** Named pools, the radar pipeline's two kinds of workers. Between them they consume every topic. */
export const poolPresets: Readonly<Record<string, readonly MessageType[]>> = {
  trades: ['trade', 'candle'],
  depth: ['depth', 'quote']
}

/** Named layouts for `tickbridge start --pools` and `scale`: the radar pipeline's 3 trade and 2 depth workers. */
export const layoutPresets: Readonly<Record<string, string>> = {
  radar: 'trades=3,depth=2'
}

export interface PoolDefinition {
  name: string
  /** In canonical order (trade, depth, quote, candle). */
  types: MessageType[]
}

export interface BridgePool extends PoolDefinition {
  /** The Kafka consumer group the pool's bridges share. */
  groupId: string
}

export interface PoolTarget extends PoolDefinition {
  /** Bridges the pool should run. */
  count: number
}

/** A pool or layout the caller wrote that is not one; the CLI turns it into TB_INVALID_ARGUMENT. */
export class InvalidPool extends Error {
  override readonly name = 'InvalidPool'
}

/** Lowercase letters, digits and single `-` between them, starting with a letter (also a valid instance id part). */
const POOL_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/

const canonical = (types: Iterable<MessageType>): MessageType[] => {
  const set = new Set(types)
  return messageTypes.filter((t) => set.has(t))
}

const sameTypes = (a: readonly MessageType[], b: readonly MessageType[]): boolean =>
  a.length === b.length && a.every((t, i) => b[i] === t)

/** "trade,candle" (or `+`-separated): the types, canonical order, no repeats; anything else is InvalidPool. */
export function parseTypes(text: string): MessageType[] {
  const words = text
    .split(/[,+]/)
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean)
  if (words.length === 0) throw new InvalidPool('no message types given')
  for (const word of words) {
    if (!(messageTypes as readonly string[]).includes(word))
      throw new InvalidPool(`"${word}" is not a message type (${messageTypes.join(', ')})`)
  }
  return canonical(words as MessageType[])
}

/** The default name of a pool of these types: `all`, a preset's name, or the types joined with `-`. */
export function poolNameFor(types: readonly MessageType[]): string {
  const sorted = canonical(types)
  if (sorted.length === messageTypes.length) return ALL_POOL
  const preset = Object.entries(poolPresets).find(([, presetTypes]) => sameTypes(presetTypes, sorted))
  if (preset) return preset[0]
  const joined = sorted.join('-')
  // `depth` alone is not the preset `depth` (which also takes quotes): a name of its own, a group of its own.
  return poolPresets[joined] ? `${joined}${ONLY}` : joined
}

/** The consumer group of a pool: BRIDGE_GROUP_ID for `all`, else `<BRIDGE_GROUP_ID>-<pool>`. */
export function poolGroupId(baseGroupId: string, pool: string): string {
  return pool === ALL_POOL ? baseGroupId : `${baseGroupId}-${pool}`
}

/** The types a pool name stands for on its own (`all`, a preset, or types joined by `-`/`+`), or null. */
export function typesOfPoolName(name: string): MessageType[] | null {
  if (name === ALL_POOL) return [...messageTypes]
  const preset = poolPresets[name]
  if (preset) return [...preset]
  const list =
    name.endsWith(ONLY) && poolPresets[name.slice(0, -ONLY.length)] ? name.slice(0, -ONLY.length) : name
  try {
    return parseTypes(list.replace(/-/g, ','))
  } catch {
    return null
  }
}

/**
 * A pool from what a bridge was given: types (`--types` / BRIDGE_TYPES) and a name (`--pool` / BRIDGE_POOL),
 * either, both or neither (then `all`). A name alone must say its types (preset or type list); a preset's
 * name cannot be given other types, and `all` cannot be given fewer.
 */
export function resolvePool(given: { types?: string; name?: string }, baseGroupId: string): BridgePool {
  const name = given.name?.trim() ?? ''
  const typesText = given.types?.trim() ?? ''
  if (name && !POOL_NAME.test(name)) {
    throw new InvalidPool(
      `pool name "${name}": use lowercase letters, digits and "-", starting with a letter (at most 40 characters)`
    )
  }
  const types = typesText ? parseTypes(typesText) : null
  if (!name) {
    const chosen = types ?? [...messageTypes]
    return pool(poolNameFor(chosen), chosen, baseGroupId)
  }
  const implied = typesOfPoolName(name)
  if (!types) {
    if (!implied) {
      throw new InvalidPool(
        `pool "${name}" is not a preset (${Object.keys(poolPresets).join(', ')}) or a list of types: give its types too`
      )
    }
    return pool(poolNameFor(implied), implied, baseGroupId)
  }
  if (implied && !sameTypes(implied, types)) {
    throw new InvalidPool(
      `pool "${name}" stands for ${implied.join(',')}, not ${types.join(',')}: name this pool differently`
    )
  }
  return pool(implied ? poolNameFor(implied) : name, types, baseGroupId)
}

function pool(name: string, types: MessageType[], baseGroupId: string): BridgePool {
  return { name, types, groupId: poolGroupId(baseGroupId, name) }
}

/**
 * A layout as `scale` and `start --pools` take it: a number alone (bridges of every type: the pool `all`), a
 * layout preset (`radar`), or `<pool>=<n>` items separated by commas or given as separate arguments; a pool is
 * named as `resolvePool` accepts a name alone (`trades`, `depth`, `all`, `trade+quote`).
 */
export function parseLayout(items: readonly string[]): PoolTarget[] {
  const words = items
    .flatMap((item) => item.split(','))
    .map((w) => w.trim())
    .filter(Boolean)
  if (words.length === 0) throw new InvalidPool('no bridges given: a number, a layout or <pool>=<n> items')
  if (words.length === 1) {
    const [only = ''] = words
    if (/^\d+$/.test(only))
      return [{ name: ALL_POOL, types: [...messageTypes], count: wholeCount(only, ALL_POOL) }]
    const preset = layoutPresets[only.toLowerCase()]
    if (preset) return parseLayout([preset])
  }
  const targets: PoolTarget[] = []
  for (const word of words) {
    const match = /^([^=\s]+)\s*=\s*(\S*)$/.exec(word)
    if (!match) {
      throw new InvalidPool(
        `"${word}" is not <pool>=<n> (e.g. trades=3,depth=2), a number, or a layout (${Object.keys(layoutPresets).join(', ')})`
      )
    }
    const [, rawName = '', count = ''] = match
    const types = typesOfPoolName(rawName.toLowerCase())
    if (!types) {
      throw new InvalidPool(
        `"${rawName}" is not a pool: use ${[ALL_POOL, ...Object.keys(poolPresets)].join(', ')} or message types joined by "+" (${messageTypes.join(', ')})`
      )
    }
    const name = poolNameFor(types)
    if (targets.some((t) => t.name === name)) throw new InvalidPool(`pool "${name}" is given twice`)
    targets.push({ name, types, count: wholeCount(count, name) })
  }
  if (targets.length > 1 && targets.some((t) => t.name === ALL_POOL)) {
    throw new InvalidPool(
      `"${ALL_POOL}" consumes every type: it cannot run beside other pools (they would read the same topics twice)`
    )
  }
  return targets
}

function wholeCount(text: string, pool: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n))
    throw new InvalidPool(`the count of pool "${pool}" must be a whole number, got "${text}"`)
  return n
}

/** "trades=3,depth=2": a layout as one line. */
export function describeLayout(targets: readonly PoolTarget[]): string {
  return targets.map((t) => `${t.name}=${t.count}`).join(',')
}

/** Topics of message types, from the configured topic per type. */
export function topicsOfTypes(
  topics: { trades: string; depth: string; quotes: string; candles: string },
  types: readonly MessageType[]
): string[] {
  const byType: Record<MessageType, string> = {
    trade: topics.trades,
    depth: topics.depth,
    quote: topics.quotes,
    candle: topics.candles
  }
  return canonical(types).map((t) => byType[t])
}
