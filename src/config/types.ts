/**
 * The `Config` type, derived from the setting definitions (`./settings/`) and the derived values (`./derived.ts`):
 * nothing here is written by hand twice. A section holds every setting whose `section` names it, under its `key`,
 * with the type of its schema; a derived value of the same section and key replaces it, or adds a field.
 */
import type { derivedFields } from './derived.ts'
import type { EnvName, SectionName, Settings, settings } from './settings/index.ts'

type Definitions = typeof settings
type Derived = typeof derivedFields

type Simplify<T> = { [K in keyof T]: T[K] } & unknown

type PlainFields<S extends SectionName> = {
  [E in EnvName as Definitions[E]['section'] extends S ? Definitions[E]['key'] : never]: Settings[E]
}

type DerivedFields<S extends SectionName> = S extends keyof Derived
  ? { [K in keyof Derived[S]]: Derived[S][K] extends (...args: never[]) => infer R ? R : never }
  : Record<never, never>

type SectionConfig<S extends SectionName> = Simplify<
  Readonly<Omit<PlainFields<S>, keyof DerivedFields<S>> & DerivedFields<S>>
>

/** The validated, frozen configuration every command receives. */
export type Config = { readonly [S in SectionName]: SectionConfig<S> }

export type KafkaConfig = Config['kafka']
export type ClickHouseConfig = Config['clickhouse']
export type NatsConfig = Config['nats']
export type StackConfig = Config['stack']
export type TopicsConfig = Config['topics']
export type BridgeConfig = Config['bridge']
export type FeedConfig = Config['feed']
export type HubConfig = Config['hub']
export type MetricsConfig = Config['metrics']
export type LogConfig = Config['log']
