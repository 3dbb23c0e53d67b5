/**
 * Reading @platformatic/kafka's errors: a failure arrives as a tree (MultipleErrors with `errors`, GenericErrors
 * with `cause`), and the broker's reason (`MESSAGE_TOO_LARGE`, `NOT_COORDINATOR`, …) sits on a ProtocolError
 * deep inside as `apiId`. These helpers walk the tree once, so logs and retry decisions see the real cause.
 */
export interface ErrorNode {
  message?: unknown
  code?: unknown
  apiId?: unknown
  canRetry?: unknown
  errors?: unknown
  cause?: unknown
}

/** Every node of the error tree, outermost first. */
export function* walk(error: unknown, depth = 0): Generator<ErrorNode> {
  if (!error || typeof error !== 'object' || depth > 8) return
  const node = error as ErrorNode
  yield node
  if (Array.isArray(node.errors)) for (const inner of node.errors) yield* walk(inner, depth + 1)
  if (node.cause) yield* walk(node.cause, depth + 1)
}

/** The broker error names (Kafka protocol error ids) anywhere in the error, e.g. `['MESSAGE_TOO_LARGE']`. */
export function brokerErrorNames(error: unknown): string[] {
  const names = new Set<string>()
  for (const node of walk(error)) if (typeof node.apiId === 'string') names.add(node.apiId)
  return [...names]
}

/**
 * Broker answers that no retry or reconnect can change: the request itself, or this client's rights or
 * settings, are wrong. Everything else (connections refused or closed, timeouts, leader and coordinator
 * moves, rebalances) heals once the broker is back.
 */
const PERMANENT_BROKER_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
  'INVALID_GROUP_ID',
  'INVALID_SESSION_TIMEOUT',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'SASL_AUTHENTICATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'
])

/** Client-side failures that are equally final: authentication, an API or format the broker does not speak. */
const PERMANENT_CLIENT_CODES = new Set([
  'PLT_KFK_AUTHENTICATION',
  'PLT_KFK_UNSUPPORTED_API',
  'PLT_KFK_UNSUPPORTED_COMPRESSION',
  'PLT_KFK_UNSUPPORTED_FORMAT'
])

/** Node's codes for a broker certificate that does not verify: no retry changes them. */
export const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID'
])

/** True when retrying or reconnecting cannot help: the caller must give up (and say why), not loop. */
export function isPermanentKafkaError(error: unknown): boolean {
  for (const node of walk(error)) {
    if (typeof node.apiId === 'string' && PERMANENT_BROKER_ERRORS.has(node.apiId)) return true
    if (typeof node.code === 'string' && PERMANENT_CLIENT_CODES.has(node.code)) return true
    if (typeof node.code === 'string' && TLS_VERIFY_CODES.has(node.code)) return true
  }
  return false
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'])

/** True when the broker refused a record or batch for its size (`max.message.bytes`): smaller sends can pass. */
export function isTooLargeError(error: unknown): boolean {
  return brokerErrorNames(error).some((name) => TOO_LARGE.has(name))
}

/** One line for a log or an error message: the outer message plus the broker's reasons, e.g. `… [MESSAGE_TOO_LARGE]`. */
export function describeKafkaError(error: unknown): string {
  const outer = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error)
  const names = brokerErrorNames(error)
  const innermost = [...walk(error)]
    .map((node) => (typeof node.message === 'string' ? node.message : ''))
    .filter((message) => message && message !== outer)
    .at(-1)
  const detail = names.length > 0 ? ` [${names.join(', ')}]` : innermost ? ` (${innermost})` : ''
  return `${outer}${detail}`
}
