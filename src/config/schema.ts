import type { Ajv, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv'
import { settings } from './settings/index.ts'

/**
 * The env-schema JSON Schema of every environment variable tickbridge reads, built from the setting definitions
 * (`./settings/`): each variable's `schema`, nothing else.
 */
export const envSchema = {
  type: 'object',
  properties: Object.fromEntries(Object.entries(settings).map(([name, setting]) => [name, setting.schema]))
}

/**
 * `below: "OTHER_VARIABLE"`: the value must be strictly below OTHER_VARIABLE's (e.g. the low watermark below the
 * high one). A rule of the schema like `minimum`, so a violation is reported with the other validation errors,
 * naming the variable. When the other value is not a valid number its own error is the one reported.
 */
const below: SchemaValidateFunction = (other: string, value: number, _parentSchema, cxt): boolean => {
  const raw: unknown = cxt?.parentData[other]
  const limit = typeof raw === 'string' ? Number(raw) : raw
  if (typeof limit !== 'number' || Number.isNaN(limit) || value < limit) return true
  below.errors = [
    {
      keyword: 'below',
      message: `must be below ${other} (${value} is not below ${limit})`,
      params: { below: other, limit }
    }
  ]
  return false
}
export const belowKeyword: FuncKeywordDefinition = {
  keyword: 'below',
  type: 'number',
  schemaType: 'string',
  errors: true,
  validate: below
}

/** env-schema's own Ajv instance (its coercion and defaults), with tickbridge's keywords added; built once. */
let ajv: Ajv | undefined
export function envSchemaAjv(): Ajv | { customOptions(fresh: Ajv): Ajv } {
  return ajv ?? { customOptions: (fresh: Ajv) => (ajv = fresh.addKeyword(belowKeyword)) }
}
