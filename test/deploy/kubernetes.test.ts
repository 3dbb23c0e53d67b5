import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultInstanceIdentity } from '../../src/config/instance-id.ts'
import {
  baseResourceFiles,
  cliArgumentProblems,
  DeployFiles,
  isObject,
  knownEnvVars,
  renderKustomize,
  type Json
} from './helpers.ts'
import { KUBERNETES_SCHEMA_VERSION, schemaProblems, typeProblems } from './k8s-schema.ts'

// Bridge memory measured in docs/benchmarks.md: steady 190-279 MB in the live pipeline and the 30-minute soak,
// 340-438 MB peak while draining a 1M-message backlog.
const BRIDGE_STEADY_RSS_MB = 279
const BRIDGE_PEAK_RSS_MB = 438
// The bridge's stop (src/bridge/run.ts): up to 15 s for inserts, then commit and leave the group.
const BRIDGE_DRAIN_S = 15

const base = renderKustomize(DeployFiles.k8sBase)
const baseDocuments = base?.documents ?? baseResourceFiles()
const demo = renderKustomize(DeployFiles.k8sDemo)

interface Container extends Json {
  name: string
  args?: string[]
  env?: { name: string; value?: string; valueFrom?: Json }[]
  envFrom?: { configMapRef?: { name: string } }[]
  ports?: { name: string; containerPort: number }[]
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  livenessProbe?: Json
  readinessProbe?: Json
  startupProbe?: Json
}
interface PodSpec extends Json {
  containers: Container[]
  initContainers?: Container[]
  terminationGracePeriodSeconds?: number
  volumes?: Json[]
}

const find = (documents: Json[], kind: string, name: string): Json => {
  const found = documents.find((d) => d.kind === kind && (d.metadata as Json).name === name)
  assert.ok(found, `${kind}/${name} is in the manifests`)
  return found
}
const podSpec = (workload: Json): PodSpec => ((workload.spec as Json).template as Json).spec as PodSpec
const podLabels = (workload: Json): Json =>
  (((workload.spec as Json).template as Json).metadata as Json).labels as Json
const workloads = (documents: Json[]): Json[] =>
  documents.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')
const mebibytes = (quantity = '0'): number => {
  const units: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity)
  assert.ok(match, `memory quantity ${quantity} in Ki, Mi or Gi`)
  return Number(match[1]) * (units[match[2] ?? 'Mi'] ?? 1)
}

test(`Kubernetes manifests validate against the API schemas (${KUBERNETES_SCHEMA_VERSION})`, (t) => {
  t.diagnostic(
    base ? `rendered with ${base.tool}` : 'kubectl not installed: the base resource files unrendered'
  )
  assert.deepEqual(schemaProblems(baseDocuments), [])
  if (demo) assert.deepEqual(schemaProblems(demo.documents), [])
})

test('Kubernetes manifests have no field the API does not know (TypeScript excess-property check)', () => {
  const documents = demo?.documents ?? baseDocuments // the demo overlay contains the base
  assert.deepEqual(typeProblems(documents), [])
})

test('the Kubernetes checks fail on a broken manifest (wrong type, misspelt field)', () => {
  const broken = structuredClone(find(baseDocuments, 'StatefulSet', 'tickbridge-bridge'))
  ;(broken.spec as Json).replicas = 'three'
  assert.match(
    schemaProblems([broken]).join('\n'),
    /StatefulSet\/tickbridge-bridge: .*replicas.*must be integer/
  )
  const misspelt = structuredClone(find(baseDocuments, 'StatefulSet', 'tickbridge-bridge'))
  const container = podSpec(misspelt).containers[0] as Json
  container.livenesProbe = container.livenessProbe
  delete container.livenessProbe
  assert.match(
    typeProblems([misspelt]).join('\n'),
    /StatefulSet\/tickbridge-bridge: .*'"livenesProbe"' does not exist in type 'IContainer'/
  )
})

test('the demo overlay renders, adds the simulator and points the feed at it', (t) => {
  if (!demo) {
    t.skip('kubectl (with its built-in kustomize) is not installed')
    return
  }
  find(demo.documents, 'Deployment', 'tickbridge-sim')
  find(demo.documents, 'Service', 'tickbridge-sim')
  const feed = podSpec(find(demo.documents, 'Deployment', 'tickbridge-feed-wallex')).containers[0]
  assert.deepEqual(feed?.args?.slice(-2), ['--url', 'ws://tickbridge-sim:8765/ws'])
})

test('bridges: a StatefulSet whose pod name (ordinal) is the instance id, with probes and a drain-long grace', () => {
  const bridges = find(baseDocuments, 'StatefulSet', 'tickbridge-bridge')
  const spec = bridges.spec as Json
  const governing = find(baseDocuments, 'Service', String(spec.serviceName))
  assert.equal((governing.spec as Json).clusterIP, 'None', 'the governing Service is headless')
  const pod = podSpec(bridges)
  const bridge = pod.containers.find((c) => c.name === 'bridge')
  assert.ok(bridge)
  assert.deepEqual(bridge.args, ['bridge'])
  assert.deepEqual(
    bridge.env?.find((e) => e.name === 'INSTANCE_ID'),
    { name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    'INSTANCE_ID = pod name tickbridge-bridge-<ordinal>'
  )
  // In the pod tickbridge-bridge-2: INSTANCE_ID=tickbridge-bridge-2, and the ordinal read from the hostname.
  assert.deepEqual(
    defaultInstanceIdentity({
      role: 'bridge',
      id: 'tickbridge-bridge-2',
      ordinal: undefined,
      hostname: 'tickbridge-bridge-2',
      pid: 1
    }),
    { instanceId: 'tickbridge-bridge-2', ordinal: 2 }
  )
  assert.deepEqual(
    pod.initContainers?.map((c) => c.args),
    [['migrate'], ['topics']],
    'schema and topics before the bridge'
  )
  assert.deepEqual((bridge.livenessProbe?.httpGet as Json).path, '/healthz')
  assert.deepEqual((bridge.readinessProbe?.httpGet as Json).path, '/readyz')
  assert.deepEqual((bridge.livenessProbe?.httpGet as Json).port, 'metrics')
  assert.deepEqual(bridge.ports, [{ name: 'metrics', containerPort: 9400 }])
  assert.ok(
    (pod.terminationGracePeriodSeconds ?? 30) >= 2 * BRIDGE_DRAIN_S,
    'the grace period covers the drain'
  )
  assert.ok(
    mebibytes(bridge.resources?.requests?.memory) * 1.048576 >= BRIDGE_STEADY_RSS_MB,
    'request ≥ steady RSS'
  )
  assert.ok(
    mebibytes(bridge.resources?.limits?.memory) * 1.048576 >= BRIDGE_PEAK_RSS_MB,
    'limit ≥ drain peak RSS'
  )

  const budget = find(baseDocuments, 'PodDisruptionBudget', 'tickbridge-bridge')
  assert.deepEqual(((budget.spec as Json).selector as Json).matchLabels, (spec.selector as Json).matchLabels)
  assert.equal((budget.spec as Json).maxUnavailable, 1)
})

test('every workload: known env vars and CLI options, probes, limits, non-root, selectors that match', () => {
  const documents = demo?.documents ?? baseDocuments
  const config = find(documents, 'ConfigMap', 'tickbridge-config')
  const unknownKeys = Object.keys(config.data as Json).filter((key) => !knownEnvVars.has(key))
  assert.deepEqual(unknownKeys, [], 'ConfigMap keys not in src/config/schema.ts')
  for (const workload of workloads(documents)) {
    const label = `${String(workload.kind)}/${String((workload.metadata as Json).name)}`
    const pod = podSpec(workload)
    assert.equal((pod.securityContext as Json | undefined)?.runAsNonRoot, true, `${label} runs as non-root`)
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const where = `${label} ${container.name}`
      assert.deepEqual(cliArgumentProblems(container.args ?? []), [], where)
      const unknown = (container.env ?? []).map((e) => e.name).filter((n) => !knownEnvVars.has(n))
      assert.deepEqual(unknown, [], `${where}: env not in src/config/schema.ts`)
      for (const ref of container.envFrom ?? [])
        assert.equal(ref.configMapRef?.name, 'tickbridge-config', where)
      assert.ok(
        container.resources?.requests?.memory && container.resources.limits?.memory,
        `${where}: memory`
      )
    }
    for (const container of pod.containers) {
      assert.ok(
        container.livenessProbe && container.readinessProbe,
        `${label}: liveness and readiness probes`
      )
    }
    const selector = ((workload.spec as Json).selector as Json).matchLabels as Json
    const labels = podLabels(workload)
    for (const [key, value] of Object.entries(selector)) assert.equal(labels[key], value, `${label} selector`)
    assert.equal(labels['app.kubernetes.io/part-of'], 'tickbridge', `${label}: the label Prometheus keeps`)
  }
  // Every Service selects pods of some workload.
  for (const service of documents.filter((d) => d.kind === 'Service')) {
    const selector = (service.spec as Json).selector as Json
    const matched = workloads(documents).some((w) =>
      Object.entries(selector).every(([key, value]) => podLabels(w)[key] === value)
    )
    assert.ok(matched, `Service/${String((service.metadata as Json).name)} selects no pods`)
  }
})

test('the hub token is a Secret mounted where HUB_TOKEN_FILE points, in every pod that heartbeats', () => {
  const config = find(baseDocuments, 'ConfigMap', 'tickbridge-config')
  const tokenFile = String((config.data as Json).HUB_TOKEN_FILE)
  assert.equal(tokenFile, '/var/run/tickbridge/hub.token')
  const home = tokenFile.slice(0, tokenFile.lastIndexOf('/'))
  for (const workload of workloads(baseDocuments)) {
    const pod = podSpec(workload)
    const volume = pod.volumes?.find(
      (v) => isObject(v.secret) && v.secret.secretName === 'tickbridge-hub-token'
    )
    assert.ok(volume, `${String((workload.metadata as Json).name)} mounts the hub token`)
    assert.deepEqual((volume.secret as Json).items, [{ key: 'hub.token', path: 'hub.token' }])
    for (const container of pod.containers) {
      const mounts = (container.volumeMounts ?? []) as Json[]
      assert.ok(mounts.some((m) => m.name === volume.name && m.mountPath === home && m.readOnly === true))
    }
  }
})
