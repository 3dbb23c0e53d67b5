/** The `user:password@` (or `token@`) of a URL or a bare `host:port` server, after its scheme if it has one. */
const CREDENTIALS = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/@]*@/i

/** A URL to show (status, messages): credentials written into it (`https://user:secret@host`) are masked. */
export function displayUrl(url: string): string {
  return url.replace(CREDENTIALS, '$1***@')
}

/** The URL without the credentials written into it (for clients that take them as options instead). */
export function withoutCredentials(url: string): string {
  return url.replace(CREDENTIALS, '$1')
}
