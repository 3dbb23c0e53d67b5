/** What the connected ClickHouse server can do, derived from its version (pure). */
export interface ServerCapabilities {
  version: string
  /** Table TTL expressions (19.6+). */
  ttl: boolean
  /** insert_deduplication_token + non_replicated_deduplication_window on MergeTree (22.2+). */
  insertDeduplicationToken: boolean
  /** LowCardinality(String) without experimental flags (19.x+). */
  lowCardinality: boolean
  /**
   * `{name:Type}` query parameters (added during 19.x; taken from 20.1 to be safe: an older server gets
   * validated, escaped literals instead, which is safe too).
   */
  queryParameters: boolean
}

export function parseVersion(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0)
  return [major, minor]
}

function atLeast(version: [number, number], major: number, minor: number): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor)
}

export function capabilitiesOf(version: string): ServerCapabilities {
  const parsed = parseVersion(version)
  return {
    version,
    ttl: atLeast(parsed, 19, 6),
    insertDeduplicationToken: atLeast(parsed, 22, 2),
    lowCardinality: atLeast(parsed, 19, 1),
    queryParameters: atLeast(parsed, 20, 1)
  }
}
