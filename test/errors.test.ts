import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { ErrorCodes, isRetriable, TickbridgeError } from '../src/errors.ts'

// Server-free: reads src/ and docs/errors.md, and logs to memory.
const root = fileURLToPath(new URL('../../', import.meta.url))

function sourceFiles(dir = join(root, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}
const sources = sourceFiles().map((path) => ({
  file: relative(root, path),
  text: readFileSync(path, 'utf8')
}))
const codeOf = Object.fromEntries(Object.entries(ErrorCodes)) as Record<string, string>

/** The docs table: code -> its `retriable` column. */
function documentedCodes(): Map<string, string> {
  const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8')
  const rows = new Map<string, string>()
  for (const match of docs.matchAll(/^\| `(TB_[A-Z_]+)` \|[^|]*\| ([^|]*?) \|/gm)) {
    const [, code, retriable] = match as unknown as [string, string, string]
    assert.ok(!rows.has(code), `${code} is listed twice in docs/errors.md`)
    rows.set(code, retriable)
  }
  return rows
}

/**
 * The text of the call that starts at `start` (an opening parenthesis). Parentheses count only in code: strings,
 * template text and comments are skipped (a template's `${…}` is code again).
 */
function callText(text: string, start: number): string {
  const braces: number[] = [] // one entry per open `${`: the braces opened inside it
  let depth = 0
  let inTemplate = false
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (inTemplate) {
      if (c === '\\') i++
      else if (c === '`') inTemplate = false
      else if (c === '$' && text[i + 1] === '{') {
        braces.push(0)
        inTemplate = false
        i++
      }
      continue
    }
    if (c === "'" || c === '"') {
      while (++i < text.length && text[i] !== c) if (text[i] === '\\') i++
    } else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i)
    else if (c === '`') inTemplate = true
    else if (c === '{' && braces.length > 0) braces.push((braces.pop() ?? 0) + 1)
    else if (c === '}' && braces.length > 0) {
      const open = braces.pop() ?? 0
      if (open === 0) inTemplate = true
      else braces.push(open - 1)
    } else if (c === '(') depth++
    else if (c === ')' && --depth === 0) return text.slice(start, i + 1)
  }
  throw new Error(`unbalanced call at ${start}`)
}

/** Where each code is thrown, and with which retriable flag ('yes', 'no', or 'depends' when computed). */
function throwSites(): Map<string, Set<string>> {
  const sites = new Map<string, Set<string>>()
  for (const { file, text } of sources) {
    if (file === join('src', 'errors.ts')) continue
    for (const match of text.matchAll(/new TickbridgeError\(/g)) {
      const call = callText(text, (match.index ?? 0) + match[0].length - 1)
      const key = /ErrorCodes\.([A-Z_]+)/.exec(call)?.[1]
      assert.ok(key, `${file}: a TickbridgeError without an ErrorCodes.* code:\n${call}`)
      const flag = /\bretriable: (\w+)/.exec(call)?.[1]
      const retriable = flag === undefined || flag === 'false' ? 'no' : flag === 'true' ? 'yes' : 'depends'
      const code = codeOf[key] ?? key
      sites.set(code, (sites.get(code) ?? new Set()).add(retriable))
    }
  }
  return sites
}

test('docs/errors.md lists every TB_* code exactly once, and nothing else', () => {
  const documented = [...documentedCodes().keys()].sort()
  assert.deepEqual(documented, Object.values(ErrorCodes).sort())
})

test('every code is used in src/ and every TB_* literal in src/ is a known code', () => {
  const known = new Set<string>(Object.values(ErrorCodes))
  const used = new Set<string>()
  for (const { file, text } of sources) {
    if (file === join('src', 'errors.ts')) continue
    for (const [, key] of text.matchAll(/ErrorCodes\.([A-Z_]+)/g)) used.add(codeOf[key as string] ?? '')
    for (const [literal] of text.matchAll(/\bTB_[A-Z_]+/g)) {
      assert.ok(known.has(literal), `${file}: ${literal} is not in ErrorCodes (src/errors.ts)`)
      used.add(literal)
    }
  }
  const unused = [...known].filter((code) => !used.has(code))
  assert.deepEqual(unused, [], 'codes nothing raises: remove them from src/errors.ts and docs/errors.md')
})

test("the docs' retriable column says what the throw sites say", () => {
  const documented = documentedCodes()
  for (const [code, flags] of throwSites()) {
    const expected = flags.size === 1 ? [...flags][0] : 'depends'
    assert.equal(documented.get(code), expected, `${code}: thrown with retriable ${[...flags].join(' and ')}`)
  }
})

test('isRetriable: the TickbridgeError flag, then Kafka and ClickHouse classification', () => {
  const kafkaTree = (apiId: string) => ({
    message: 'Producing failed.',
    code: 'PLT_KFK_MULTIPLE',
    errors: [{ message: 'Received response with error', code: 'PLT_KFK_RESPONSE', cause: { apiId } }]
  })
  assert.equal(isRetriable(new Error('socket hang up')), true)
  assert.equal(isRetriable(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), true)
  assert.equal(isRetriable(kafkaTree('NOT_COORDINATOR')), true, 'a coordinator move heals')
  assert.equal(isRetriable(kafkaTree('TOPIC_AUTHORIZATION_FAILED')), false)
  assert.equal(isRetriable(kafkaTree('MESSAGE_TOO_LARGE')), false)
  assert.equal(isRetriable({ message: 'auth', code: 'PLT_KFK_AUTHENTICATION' }), false)
  assert.equal(isRetriable(new Error('Code: 27, e.displayText() = DB::Exception: Cannot parse input')), false)
  assert.equal(isRetriable(Object.assign(new Error('Too many parts'), { code: '252' })), true)

  assert.equal(
    isRetriable(new TickbridgeError(ErrorCodes.DLQ_REFUSED, 'no')),
    false,
    'default: not retriable'
  )
  assert.equal(
    isRetriable(new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, 'down', { retriable: true })),
    true
  )
  const wrapped = new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, 'refused', {
    retriable: true,
    cause: kafkaTree('GROUP_AUTHORIZATION_FAILED')
  })
  assert.equal(isRetriable(wrapped), false, 'wrapping a permanent refusal does not make it heal')
  const healing = new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, 'down', {
    retriable: true,
    cause: new Error('ECONNREFUSED')
  })
  assert.equal(isRetriable(healing), true)
})

test('a logged { err } keeps type, message with its cause, stack, code, retriable and hint', () => {
  const lines: string[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' })
  const err = new TickbridgeError(ErrorCodes.KAFKA_UNAVAILABLE, 'Kafka is not answering', {
    cause,
    retriable: true,
    hint: 'Start the local stack.'
  })
  log.warn({ err }, 'topics failed')
  const logged = (JSON.parse(lines[0] ?? '{}') as { err: Record<string, unknown> }).err
  assert.equal(logged.type, 'TickbridgeError')
  assert.equal(logged.code, 'TB_KAFKA_UNAVAILABLE')
  assert.equal(logged.retriable, true)
  assert.equal(logged.hint, 'Start the local stack.')
  assert.match(String(logged.message), /Kafka is not answering: connect ECONNREFUSED/)
  assert.match(
    String(logged.stack),
    /TickbridgeError: Kafka is not answering[\s\S]*caused by: Error: connect/
  )
})

// Files others are rewriting; their `err:` fields are fixed when those changes land.
const PENDING = new Set<string>()

test('every `err` log field in src/ is the Error itself, not its message or a string', () => {
  const offenders: string[] = []
  for (const { file, text } of sources) {
    if (PENDING.has(file)) continue
    for (const match of text.matchAll(/\berr: ([^,}\n]+)/g)) {
      const value = (match[1] ?? '').trim()
      if (!/^[A-Za-z_$][\w$]*$/.test(value) || /^(message|reason|text|msg)$/i.test(value))
        offenders.push(`${file}: err: ${value}`)
    }
  }
  assert.deepEqual(offenders, [], 'log { err: error } (pino keeps type, code, stack and cause)')
})
