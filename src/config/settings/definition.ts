/**
 * The shape of one setting: everything tickbridge knows about an environment variable, written once. The env-schema
 * schema (`../schema.ts`), the `Config` type (`../types.ts`), the loaded object (`../load.ts`) and the tables in
 * docs/configuration.md (`../docs-table.ts`) are all derived from these definitions.
 */

/** The sections of `Config`. A setting lands in one; a section may also hold values derived from several. */
export type SectionName =
  'kafka' | 'clickhouse' | 'nats' | 'stack' | 'topics' | 'bridge' | 'feed' | 'hub' | 'metrics' | 'log'

/** The JSON Schema of one variable, as env-schema validates and coerces it (a subset of JSON Schema). */
export type SettingSchema =
  | {
      readonly type: 'string'
      readonly default?: string
      readonly minLength?: number
      readonly pattern?: string
      readonly enum?: readonly string[]
    }
  | {
      readonly type: 'integer' | 'number'
      readonly default?: number
      readonly minimum?: number
      readonly maximum?: number
      readonly exclusiveMinimum?: number
      readonly exclusiveMaximum?: number
      /**
       * Cross-setting rule: the value must be strictly below the value of the named variable (a number setting).
       * A custom keyword of the env-schema schema (`../schema.ts`), so it fails like any other bad value.
       */
      readonly below?: string
    }
  | { readonly type: 'boolean'; readonly default?: boolean }

export interface SettingDefinition {
  /** Where the validated value lands: `config[section][key]` (unless `../derived.ts` computes that key). */
  readonly section: SectionName
  readonly key: string
  readonly schema: SettingSchema
  /** Markdown, the "what it does" column of docs/configuration.md. */
  readonly description: string
  /** Markdown, the "read by" column: which commands (roles) use the value. */
  readonly readBy: string
  /** Markdown for the "default" column when the real default is computed at load time (the schema's is then ''). */
  readonly shownDefault?: string
}

/** One group of settings, documented as one table of docs/configuration.md (in the order written). */
export type SettingGroup = Readonly<Record<string, SettingDefinition>>
