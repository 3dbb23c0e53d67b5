import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { projectRoot } from '../../src/config/load.ts'
import {
  DeployFiles,
  isObject,
  loadCompose,
  parseDockerfile,
  parseYaml,
  readProjectFile,
  type Json
} from './helpers.ts'
import { expressionProblems, exportedMetrics, promqlReferences } from './promql.ts'

interface Panel {
  id: number
  type: string
  title: string
  datasource?: { uid?: string }
  gridPos: { x: number; y: number; w: number; h: number }
  targets?: { expr: string; refId: string }[]
}

const dashboard = JSON.parse(readProjectFile(DeployFiles.dashboard)) as Json & { panels: Panel[] }
const dashboardExpressions = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))

interface Rule {
  alert: string
  expr: string
  labels?: { severity?: string }
  annotations?: { summary?: string }
}
const [alertFile] = parseYaml(readProjectFile(DeployFiles.alerts)) as [{ groups: { rules: Rule[] }[] }]
const rules = alertFile.groups.flatMap((g) => g.rules)

test('every Grafana query is valid PromQL over metrics and labels the hub, feeds and bridges export', async () => {
  const exported = await exportedMetrics()
  assert.ok(exported.has('tickbridge_bridge_rows_inserted_total'), 'the bridge registry was read')
  assert.ok(dashboardExpressions.length >= 20)
  assert.deepEqual(
    dashboardExpressions.flatMap((e) => expressionProblems(e, exported)),
    []
  )
})

test('every alert rule is valid PromQL over exported metrics, with a severity and a summary', async () => {
  const exported = await exportedMetrics()
  assert.deepEqual(
    rules.flatMap((r) => expressionProblems(r.expr, exported)),
    []
  )
  for (const rule of rules) {
    assert.match(rule.alert, /^Tickbridge[A-Za-z]+$/)
    assert.ok(['info', 'warning', 'critical'].includes(rule.labels?.severity ?? ''), `${rule.alert} severity`)
    assert.ok(rule.annotations?.summary, `${rule.alert} summary`)
  }
  const covered = (fragment: string) => rules.some((r) => r.expr.includes(fragment))
  for (const metric of [
    'tickbridge_consumer_lag_messages', // lag growing
    'tickbridge_cluster_instances', // instance dead
    'tickbridge_bridge_dead_letters_total', // DLQ rate
    'tickbridge_cluster_backpressure_active' // backpressure stuck
  ])
    assert.ok(covered(metric), `an alert on ${metric}`)
})

test('a renamed metric, a wrong label or broken PromQL is caught', async () => {
  const exported = await exportedMetrics()
  const renamed = new Map(exported)
  renamed.delete('tickbridge_consumer_lag_messages') // as if src/hub/metrics.ts renamed it
  const lagQueries = dashboardExpressions.filter((e) => e.includes('tickbridge_consumer_lag_messages'))
  assert.ok(lagQueries.length > 0)
  assert.match(
    lagQueries.flatMap((e) => expressionProblems(e, renamed)).join('\n'),
    /no metric tickbridge_consumer_lag_messages is exported/
  )
  assert.match(
    expressionProblems('sum by (tabel) (rate(tickbridge_bridge_rows_inserted_total[5m]))', exported).join(
      '\n'
    ),
    /label tabel is on none of tickbridge_bridge_rows_inserted_total/
  )
  assert.match(
    expressionProblems('sum(rate(tickbridge_bridge_errors_total[5m])', exported).join('\n'),
    /syntax error/
  )
  assert.deepEqual(
    promqlReferences('histogram_quantile(0.99, sum by (le) (rate(a_bucket[$__rate_interval])))'),
    {
      errors: [],
      metrics: ['a_bucket'],
      labels: ['le']
    }
  )
})

test('the Grafana dashboard: one uid, unique panel ids, a datasource variable every query uses, a 24-column grid', () => {
  assert.equal(dashboard.uid, 'tickbridge')
  const templating = dashboard.templating as { list: Json[] }
  assert.deepEqual(
    templating.list.map((v) => [v.name, v.type, v.query]),
    [['datasource', 'datasource', 'prometheus']]
  )
  const ids = dashboard.panels.map((p) => p.id)
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  for (const panel of dashboard.panels) {
    assert.ok(
      panel.gridPos.x >= 0 && panel.gridPos.x + panel.gridPos.w <= 24,
      `${panel.title}: within the grid`
    )
    if (panel.type === 'row') continue
    assert.equal(panel.datasource?.uid, '${datasource}', `${panel.title}: the datasource variable`)
    const refIds = (panel.targets ?? []).map((t) => t.refId)
    assert.ok(
      refIds.length > 0 && new Set(refIds).size === refIds.length,
      `${panel.title}: queries with unique refIds`
    )
  }
  // The panels: msg/s by type, lag per partition, insert latency, buffer and backpressure, DLQ, spool.
  for (const metric of [
    'tickbridge_bridge_messages_received_total',
    'tickbridge_consumer_lag_messages',
    'tickbridge_bridge_insert_duration_seconds_bucket',
    'tickbridge_bridge_buffered_messages',
    'tickbridge_bridge_backpressure_active',
    'tickbridge_bridge_dead_letters_total',
    'tickbridge_feed_spooled_messages'
  ])
    assert.ok(
      dashboardExpressions.some((e) => promqlReferences(e).metrics.includes(metric)),
      `a panel on ${metric}`
    )
})

test('Prometheus scrapes the ports the image serves, under the job names the alerts and dashboard use', () => {
  const env = new Map(
    parseDockerfile(readProjectFile(DeployFiles.dockerfile))
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]] as const))
  )
  const [compose] = parseYaml(readProjectFile(DeployFiles.prometheusCompose)) as [{ scrape_configs: Json[] }]
  const jobs = Object.fromEntries(compose.scrape_configs.map((c) => [c.job_name, c]))
  assert.deepEqual(Object.keys(jobs).sort(), ['tickbridge-bridge', 'tickbridge-feed', 'tickbridge-hub'])
  assert.deepEqual(jobs['tickbridge-hub']?.static_configs, [{ targets: [`hub:${env.get('HUB_PORT')}`] }])
  const services = loadCompose().services as Json
  for (const role of ['bridge', 'feed']) {
    const [discovery] = jobs[`tickbridge-${role}`]?.dns_sd_configs as Json[]
    assert.deepEqual(discovery?.names, [role])
    assert.equal(String(discovery?.port), env.get('METRICS_PORT'))
    assert.ok(isObject(services[role]), `compose has a ${role} service`)
  }
  const [kubernetes] = parseYaml(readProjectFile(DeployFiles.prometheusKubernetes)) as [
    { scrape_configs: Json[] }
  ]
  const relabel = kubernetes.scrape_configs[0]?.relabel_configs as Json[]
  assert.ok(relabel.some((r) => r.target_label === 'job' && r.replacement === 'tickbridge-$1'))
})

test('promtool accepts the alert rules and the compose scrape configuration, when promtool is installed', (t) => {
  const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
  if (version.error) {
    t.skip('promtool is not installed (Debian: the prometheus package)')
    return
  }
  t.diagnostic(version.stdout.split('\n')[0] ?? '')
  const rulesCheck = spawnSync('promtool', ['check', 'rules', join(projectRoot, DeployFiles.alerts)], {
    encoding: 'utf8'
  })
  assert.equal(rulesCheck.status, 0, rulesCheck.stdout + rulesCheck.stderr)
  // The compose configuration names the rules by their path in the container; check it without them.
  const configCheck = spawnSync(
    'promtool',
    ['check', 'config', '--syntax-only', join(projectRoot, DeployFiles.prometheusCompose)],
    {
      encoding: 'utf8'
    }
  )
  assert.equal(configCheck.status, 0, configCheck.stdout + configCheck.stderr)
})
