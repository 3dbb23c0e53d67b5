import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Command } from 'commander'
import { parseAllDocuments } from 'yaml'
import { registerFeedCommand } from '../../src/cli/commands/feed.ts'
import { registerHubCommand } from '../../src/cli/commands/hub.ts'
import { registerBridgeCommand } from '../../src/cli/commands/bridge.ts'
import { registerPipelineCommands } from '../../src/cli/commands/pipeline.ts'
import { projectRoot } from '../../src/config/load.ts'
import { envSchema } from '../../src/config/schema.ts'

/** The deployment files, relative to the project root. */
export const DeployFiles = {
  dockerfile: 'Dockerfile',
  dockerignore: '.dockerignore',
  compose: 'compose.yaml',
  k8sBase: 'deploy/k8s/base',
  k8sDemo: 'deploy/k8s/overlays/demo',
  dashboard: 'deploy/grafana/dashboards/tickbridge.json',
  alerts: 'deploy/prometheus/alerts.yml',
  prometheusCompose: 'deploy/prometheus/prometheus.yml',
  prometheusKubernetes: 'deploy/prometheus/kubernetes.yml',
  healthcheck: 'deploy/docker/healthcheck.mjs'
} as const

export const readProjectFile = (relative: string): string => readFileSync(join(projectRoot, relative), 'utf8')

/** Every YAML document of a text (compose and Kubernetes files use `<<` merge keys). Throws on a syntax error. */
export function parseYaml(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('\n'))
    return document.toJS() as unknown
  })
}

export type Json = Record<string, unknown>
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Compose's variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$`) with the variables
 * unset, as on a fresh machine: what `docker compose config` would see before applying the schema.
 */
export function interpolateCompose(text: string, env: Record<string, string> = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (match, name, op, fallback) => {
      if (match === '$$') return '$'
      const value = env[name as string]
      if (op === ':-') return value ? value : (fallback as string)
      if (op === '-') return value ?? (fallback as string)
      return value ?? ''
    }
  )
}

export function loadCompose(env: Record<string, string> = {}): Json {
  const [compose] = parseYaml(interpolateCompose(readProjectFile(DeployFiles.compose), env))
  if (!isObject(compose)) throw new Error('compose.yaml is not a mapping')
  return compose
}

export interface Rendered {
  documents: Json[]
  /** What rendered them: `kubectl kustomize` (with its kustomize version), or null without kubectl. */
  tool: string | null
}

/**
 * A kustomization rendered by the kustomize built into kubectl, as `kubectl apply -k` would. Without kubectl
 * on the machine: null (the caller falls back to the base's plain resource files, or skips).
 */
export function renderKustomize(relativeDir: string): Rendered | null {
  const run = spawnSync('kubectl', ['kustomize', join(projectRoot, relativeDir)], { encoding: 'utf8' })
  if (run.error) return null
  if (run.status !== 0) throw new Error(`kubectl kustomize ${relativeDir} failed:\n${run.stderr}`)
  return { documents: parseYaml(run.stdout).filter(isObject), tool: kubectlVersions() }
}

let kubectlVersion: string | undefined
function kubectlVersions(): string {
  kubectlVersion ??= spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' })
    .stdout.trim()
    .replace(/\n/g, ', ')
  return kubectlVersion
}

/** The base's resource files as they are (no kustomize transformations), for machines without kubectl. */
export function baseResourceFiles(): Json[] {
  const [kustomization] = parseYaml(readProjectFile(join(DeployFiles.k8sBase, 'kustomization.yaml')))
  if (!isObject(kustomization) || !Array.isArray(kustomization.resources))
    throw new Error('the base kustomization lists no resources')
  return kustomization.resources.flatMap((file) =>
    parseYaml(readProjectFile(join(DeployFiles.k8sBase, String(file)))).filter(isObject)
  )
}

/**
 * The environment variables tickbridge reads (src/config/schema.ts), and NODE_OPTIONS, which Node.js reads
 * (the bridges' and feeds' V8 flags, src/node-flags.ts).
 */
export const knownEnvVars: ReadonlySet<string> = new Set([
  ...Object.keys(envSchema.properties),
  'NODE_OPTIONS'
])

/**
 * The commands a container runs as its role, with their options, from the CLI's own command definitions
 * (the same register functions src/cli/main.ts calls; nothing runs). The image test checks the real
 * `tickbridge --help` lists each of them.
 */
export function roleCommands(): Map<string, Set<string>> {
  const program = new Command()
  registerPipelineCommands(program)
  registerBridgeCommand(program)
  registerFeedCommand(program)
  registerHubCommand(program)
  return new Map(
    program.commands.map((command) => [
      command.name(),
      new Set(command.options.flatMap((option) => (option.long ? [option.long.slice(2)] : [])))
    ])
  )
}

/**
 * What is wrong with one role's command line as a container runs it (`tickbridge <args>`): an unknown
 * command or an option the command does not have. Empty when the CLI accepts it.
 */
export function cliArgumentProblems(args: readonly string[]): string[] {
  const [command, ...rest] = args
  const options = command ? roleCommands().get(command) : undefined
  if (!options) return [`unknown command "${command ?? ''}"`]
  return rest
    .filter((arg) => arg.startsWith('--'))
    .map((arg) => arg.slice(2).split('=')[0] ?? '')
    .filter((name) => !options.has(name))
    .map((name) => `"tickbridge ${command}" has no option --${name}`)
}

export interface DockerInstruction {
  keyword: string
  args: string
  line: number
  /** Index of the FROM stage it belongs to (-1 before the first FROM). */
  stage: number
}

/** A Dockerfile's instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = []
  let stage = -1
  let pending: { text: string; line: number } | null = null
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (pending === null && (line === '' || line.startsWith('#'))) return
    if (pending !== null && line.startsWith('#')) return
    const continued = line.endsWith('\\')
    const body = continued ? line.slice(0, -1).trim() : line
    pending = pending
      ? { text: `${pending.text} ${body}`, line: pending.line }
      : { text: body, line: index + 1 }
    if (continued) return
    const [keyword = '', ...rest] = pending.text.split(/\s+/)
    const upper = keyword.toUpperCase()
    if (upper === 'FROM') stage++
    instructions.push({ keyword: upper, args: rest.join(' '), line: pending.line, stage })
    pending = null
  })
  return instructions
}
