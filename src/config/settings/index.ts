import { bridgeSettings } from './bridge.ts'
import { clickhouseClusterSettings } from './clickhouse.ts'
import { feedSettings } from './feed.ts'
import { hubSettings } from './hub.ts'
import { kafkaSecuritySettings } from './kafka-security.ts'
import { localStackSettings } from './stack.ts'
import { logSettings } from './log.ts'
import { natsSettings } from './nats.ts'
import { topicSettings } from './topics.ts'
import { whereSettings } from './where.ts'

export type { SectionName, SettingDefinition, SettingSchema } from './definition.ts'

/** Every setting, grouped as docs/configuration.md shows them: one table per group. */
export const settingGroups = {
  where: whereSettings,
  stack: localStackSettings,
  topics: topicSettings,
  'kafka-security': kafkaSecuritySettings,
  bridge: bridgeSettings,
  feed: feedSettings,
  nats: natsSettings,
  hub: hubSettings,
  log: logSettings,
  clickhouse: clickhouseClusterSettings
} as const

export type GroupName = keyof typeof settingGroups

/** Every setting by its environment variable (each group once; test/config checks that no name repeats). */
export const settings = {
  ...whereSettings,
  ...kafkaSecuritySettings,
  ...localStackSettings,
  ...clickhouseClusterSettings,
  ...topicSettings,
  ...bridgeSettings,
  ...feedSettings,
  ...natsSettings,
  ...hubSettings,
  ...logSettings
}

type Definitions = typeof settings
export type EnvName = keyof Definitions

type SchemaValue<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: 'string' }
    ? string
    : S extends { readonly type: 'integer' | 'number' }
      ? number
      : S extends { readonly type: 'boolean' }
        ? boolean
        : never

type SettingValue<S> = S extends { readonly default: unknown } ? SchemaValue<S> : SchemaValue<S> | undefined

/** Each variable after validation: its schema's type, `undefined` only when it has no default and is unset. */
export type Settings = { readonly [E in EnvName]: SettingValue<Definitions[E]['schema']> }
