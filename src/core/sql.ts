/**
 * A ClickHouse string literal with backslash and quote escaped. For servers without query parameters
 * (18.16 has none); user-supplied values go through this, never into SQL text as they are.
 */
export function sqlString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}
