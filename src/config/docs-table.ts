/**
 * The tables of docs/configuration.md, rendered from the setting definitions. The page keeps its prose; each table
 * sits between markers and is replaced as a whole (`npm run docs:config`); test/config/docs.test.ts fails when the
 * page differs from what this renders.
 */
import {
  settingGroups,
  type GroupName,
  type SettingDefinition,
  type SettingSchema
} from './settings/index.ts'

const BEGIN = /<!-- settings-table ([\w-]+)[^>]*-->\n/
const END = '<!-- end settings-table -->'

/** The markdown table of one group of settings, markers included. */
export function settingsTable(group: GroupName): string {
  const rows = Object.entries(settingGroups[group]).map(([name, setting]: [string, SettingDefinition]) =>
    row([`\`${name}\``, typeText(setting.schema), defaultText(setting), setting.description, setting.readBy])
  )
  return [
    `<!-- settings-table ${group}: generated from src/config/settings/${group}.ts by \`npm run docs:config\`, edit it there -->`,
    row(['variable', 'type', 'default', 'what it does', 'read by']),
    row(['---', '---', '---', '---', '---']),
    ...rows,
    '',
    END
  ].join('\n')
}

/**
 * The page with every marked table rendered afresh. Throws when a group has no table on the page, or the page
 * marks a table of a group that does not exist.
 */
export function renderConfigurationDoc(page: string): string {
  const seen = new Set<string>()
  const rendered = page.replace(
    new RegExp(`${BEGIN.source}[\\s\\S]*?${END}`, 'g'),
    (_block, group: string) => {
      if (!(group in settingGroups))
        throw new Error(`docs/configuration.md marks an unknown settings table "${group}"`)
      seen.add(group)
      return settingsTable(group as GroupName)
    }
  )
  const missing = Object.keys(settingGroups).filter((group) => !seen.has(group))
  if (missing.length > 0) {
    throw new Error(
      `docs/configuration.md has no settings table for ${missing.join(', ')}: add ` +
        `"<!-- settings-table NAME -->" and "${END}" lines where each belongs, then run npm run docs:config`
    )
  }
  return rendered
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`
}

function defaultText(setting: SettingDefinition): string {
  if (setting.shownDefault) return setting.shownDefault
  const value = setting.schema.default
  if (value === undefined) return '*(unset)*'
  if (value === '') return '*(empty)*'
  return `\`${String(value)}\``
}

/** The "type" column: the schema's type and constraints, as a reader would write them. */
export function typeText(schema: SettingSchema): string {
  switch (schema.type) {
    case 'boolean':
      return 'boolean'
    case 'string':
      if (schema.enum) return listText(schema.enum.map((value) => `\`${value}\``))
      if (schema.pattern) return `string, \`${schema.pattern}\``
      if (schema.minLength === 1) return 'string, non-empty'
      if (schema.minLength) return `string, at least ${schema.minLength} characters`
      return 'string'
    default: {
      const { minimum, maximum, exclusiveMinimum, exclusiveMaximum, below } = schema
      let text: string
      if (exclusiveMinimum === undefined && exclusiveMaximum === undefined && schema.type === 'integer') {
        if (minimum !== undefined && maximum !== undefined) text = `integer ${minimum}–${maximum}`
        else if (minimum !== undefined) text = `integer ≥ ${minimum}`
        else if (maximum !== undefined) text = `integer ≤ ${maximum}`
        else text = 'integer'
      } else {
        const lower =
          exclusiveMinimum !== undefined
            ? `${exclusiveMinimum} < `
            : minimum !== undefined
              ? `${minimum} ≤ `
              : ''
        const upper =
          exclusiveMaximum !== undefined
            ? ` < ${exclusiveMaximum}`
            : maximum !== undefined
              ? ` ≤ ${maximum}`
              : ''
        text = lower || upper ? `${schema.type}, ${lower}x${upper}` : schema.type
      }
      return below ? `${text}, below \`${below}\`` : text
    }
  }
}

function listText(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`
}
