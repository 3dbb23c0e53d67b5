import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import envSchemaLoader from 'env-schema'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { derivedFields, type HostFacts } from './derived.ts'
import { envSchema, envSchemaAjv } from './schema.ts'
import { settings, type Settings } from './settings/index.ts'
import type { Config } from './types.ts'

export type { Config } from './types.ts'

/** The project directory (where package.json is), for the default TICKBRIDGE_HOME. */
export const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
/** The compiled CLI, for starting role processes (`node <cliEntry> bridge`). */
export const cliEntry = resolve(projectRoot, 'dist/src/cli/main.js')

/**
 * Reads and validates the environment once. A bad value stops start-up with a message that names the variable.
 * A `.env` file in the working directory is loaded first if present (real environment variables win).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  dotenvPath = resolve('.env'),
  /** Variables given another way (a command-line flag that stands for one); they win over `env`. */
  overrides: Record<string, string> = {}
): Config {
  if (env === process.env && existsSync(dotenvPath)) process.loadEnvFile(dotenvPath)
  return buildConfig(validateSettings({ ...env, ...overrides }), {
    hostname: hostname(),
    pid: process.pid,
    projectRoot,
    isTTY: Boolean(process.stdout.isTTY)
  })
}

/** Every variable of `env` checked against its schema and converted to its type (defaults filled in). */
export function validateSettings(env: NodeJS.ProcessEnv): Settings {
  try {
    return envSchemaLoader({
      schema: envSchema,
      data: env,
      env: false,
      dotenv: false,
      ajv: envSchemaAjv()
    }) as Settings
  } catch (error) {
    throw new TickbridgeError(
      ErrorCodes.CONFIG_INVALID,
      `invalid configuration: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'Fix the named environment variable (see docs/configuration.md and .env.example).'
      }
    )
  }
}

/** Each setting at `config[section][key]`, then the derived values over them; frozen. */
export function buildConfig(values: Settings, host: HostFacts): Config {
  const sections: Record<string, Record<string, unknown>> = {}
  for (const [name, setting] of Object.entries(settings)) {
    ;(sections[setting.section] ??= {})[setting.key] = values[name as keyof Settings]
  }
  for (const [section, fields] of Object.entries(derivedFields)) {
    for (const [key, derive] of Object.entries(fields)) (sections[section] ??= {})[key] = derive(values, host)
  }
  return deepFreeze(sections) as unknown as Config
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
