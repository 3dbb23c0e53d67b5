import { inspect } from 'node:util'

/**
 * A secret setting's value (a password): `reveal()` gives it to the one client that sends it; everything else
 * that prints it — JSON.stringify, util.inspect, pino, template strings — sees `[redacted]` (or '' when unset),
 * so a config dump, a log line or an error cannot carry it.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  get isSet(): boolean {
    return this.#value !== ''
  }

  toString(): string {
    return this.#value ? '[redacted]' : ''
  }

  toJSON(): string {
    return this.toString()
  }

  [inspect.custom](): string {
    return this.toString()
  }
}
