import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { HostFacts } from '../../src/config/derived.ts'
import { buildConfig, loadConfig, validateSettings } from '../../src/config/load.ts'
import { settingGroups, settings } from '../../src/config/settings/index.ts'
import type { Config } from '../../src/config/types.ts'
import { Secret } from '../../src/config/secret.ts'
import { ErrorCodes, TickbridgeError } from '../../src/errors.ts'

const host: HostFacts = {
  hostname: 'worker7.example',
  pid: 4242,
  projectRoot: '/opt/tickbridge',
  isTTY: false
}
const configOf = (env: Record<string, string>) => buildConfig(validateSettings(env), host)

function configError(env: Record<string, string>): TickbridgeError {
  try {
    validateSettings(env)
  } catch (error) {
    assert.ok(error instanceof TickbridgeError, `not a TickbridgeError: ${String(error)}`)
    assert.equal(error.code, ErrorCodes.CONFIG_INVALID)
    assert.match(error.hint ?? '', /Fix the named environment variable/)
    return error
  }
  assert.fail(`no error for ${JSON.stringify(env)}`)
}

test('an empty environment gives the documented defaults, in the sections every command reads', () => {
  const expected: Config = {
    kafka: {
      brokers: ['127.0.0.1:9092'],
      external: false,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 1000,
      fetchMinBytes: 65536,
      fetchMaxWaitMs: 20,
      fetchIdleWaitMs: 250,
      fetchAlign: true,
      securityProtocol: 'PLAINTEXT',
      saslMechanism: 'SCRAM-SHA-512',
      saslUsername: '',
      saslPassword: new Secret(''),
      saslPasswordFile: '',
      sslCaFile: '',
      sslCertFile: '',
      sslKeyFile: '',
      sslRejectUnauthorized: true
    },
    clickhouse: {
      url: 'http://127.0.0.1:8123',
      urls: ['http://127.0.0.1:8123'],
      cluster: '',
      caFile: '',
      endpointRetryMs: 10000,
      external: false,
      user: 'default',
      password: '',
      database: 'market',
      retentionDays: 90,
      writeBuffer: false
    },
    nats: {
      url: 'nats://127.0.0.1:4222',
      external: false,
      subjectPrefix: 'market',
      stream: 'MARKET',
      consumer: 'tickbridge-bridge',
      streamMaxAgeMs: 86400000,
      streamMaxBytes: 1073741824,
      ackWaitMs: 30000,
      maxAckPending: 200000
    },
    stack: {
      home: '/opt/tickbridge/.tickbridge',
      kafkaPort: 9092,
      kafkaControllerPort: 9093,
      kafkaSaslPort: 9094,
      kafkaClusterPort: 9192,
      kafkaHeap: '768m',
      clickhouseHttpPort: 8123,
      clickhouseTcpPort: 9000,
      cluster: false,
      zookeeperPort: 2181,
      clusterClickhousePort: 8130,
      startTimeoutMs: 90000,
      natsPort: 4222
    },
    topics: {
      trades: 'market.trades',
      depth: 'market.depth',
      quotes: 'market.quotes',
      candles: 'market.candles',
      dlq: 'market.dlq',
      partitions: 6
    },
    bridge: {
      groupId: 'tickbridge-bridge',
      poolTypes: '',
      poolName: '',
      pool: { name: 'all', types: ['trade', 'depth', 'quote', 'candle'], groupId: 'tickbridge-bridge' },
      instanceId: 'tickbridge-bridge-worker7.example-4242',
      ordinal: 1,
      batchMaxRows: 100000,
      batchMaxAgeMs: 50,
      batchEarlyRows: 0,
      bufferMaxMessages: 250000,
      highWatermark: 0.8,
      lowWatermark: 0.4,
      insertRetryMaxDelayMs: 5000,
      statsIntervalMs: 10000,
      candlesFromTrades: true,
      candleRefreshIntervalMs: 1000,
      candleRefreshMaxShare: 0.5,
      bufferFlushIntervalMs: 2000
    },
    feed: {
      ordinal: 1,
      statsIntervalMs: 10000,
      polygonApiKey: '',
      memoryQueueMax: 100000,
      spoolDir: '/opt/tickbridge/.tickbridge/spool',
      spoolMaxBytes: 2147483648
    },
    hub: {
      url: 'http://127.0.0.1:8700',
      host: '127.0.0.1',
      port: 8700,
      token: '',
      tokenFile: '',
      deadAfterMs: 5000,
      historyMinutes: 15,
      insertLatencyLimitMs: 2000,
      logIntervalMs: 10000,
      heartbeatIntervalMs: 1000
    },
    metrics: { port: 0, host: '127.0.0.1', advertiseHost: '' },
    log: { level: 'info', pretty: false }
  }
  assert.deepEqual(configOf({}), expected)
})

test('values are converted to their types, and derived values follow the variables they come from', () => {
  const config = configOf({
    KAFKA_BROKERS: ' kafka-1:9092, kafka-2:9092 ,',
    CLICKHOUSE_URL: 'https://ch.internal:8443',
    TICKBRIDGE_HOME: '/var/lib/tb',
    INSTANCE_ORDINAL: '3',
    STATS_INTERVAL_MS: '0',
    CANDLES_FROM_TRADES: 'false',
    BUFFER_HIGH_WATERMARK: '0.9',
    HUB_URL: 'http://hub:8700//',
    LOG_PRETTY: 'auto'
  })
  assert.deepEqual(config.kafka.brokers, ['kafka-1:9092', 'kafka-2:9092'])
  assert.equal(config.kafka.external, true)
  assert.equal(config.clickhouse.url, 'https://ch.internal:8443')
  assert.equal(config.clickhouse.external, true)
  assert.equal(config.feed.spoolDir, '/var/lib/tb/spool')
  assert.equal(config.bridge.instanceId, 'tickbridge-bridge-3')
  assert.equal(config.bridge.ordinal, 3)
  assert.equal(config.feed.ordinal, 3, 'a feed numbers itself like the bridge of the same ordinal')
  assert.equal(config.feed.statsIntervalMs, 0)
  assert.equal(config.bridge.candlesFromTrades, false)
  assert.equal(config.bridge.highWatermark, 0.9)
  assert.equal(config.hub.url, 'http://hub:8700')
  assert.equal(config.log.pretty, false)
  assert.equal(
    buildConfig(validateSettings({ LOG_PRETTY: 'auto' }), { ...host, isTTY: true }).log.pretty,
    true
  )
  assert.equal(configOf({ FEED_SPOOL_DIR: '/spool' }).feed.spoolDir, '/spool')
})

test('ClickHouse endpoints: a list, the local cluster with TICKBRIDGE_CLUSTER, and its cluster name', () => {
  const listed = configOf({
    CLICKHOUSE_URL: ' http://ch-1:8123, http://ch-2:8123 ,',
    CLICKHOUSE_CLUSTER: 'prod'
  })
  assert.deepEqual(listed.clickhouse.urls, ['http://ch-1:8123', 'http://ch-2:8123'])
  assert.equal(listed.clickhouse.url, 'http://ch-1:8123')
  assert.equal(listed.clickhouse.cluster, 'prod')
  const local = configOf({ TICKBRIDGE_CLUSTER: 'true', TICKBRIDGE_CLUSTER_CLICKHOUSE_PORT: '18130' })
  assert.deepEqual(local.clickhouse.urls, [
    'http://127.0.0.1:18131',
    'http://127.0.0.1:18132',
    'http://127.0.0.1:18133',
    'http://127.0.0.1:18134'
  ])
  assert.equal(local.clickhouse.cluster, 'tickbridge')
  assert.equal(local.clickhouse.external, false)
  const external = configOf({ TICKBRIDGE_CLUSTER: 'true', CLICKHOUSE_URL: 'http://ch:8123' })
  assert.equal(
    external.clickhouse.cluster,
    '',
    'an external server is one server unless CLICKHOUSE_CLUSTER names one'
  )
})

test('BATCH_EARLY_ROWS: 500 by default into write buffers on one server, 0 otherwise, and as set when set', () => {
  const early = (env: Record<string, string>) => configOf(env).bridge.batchEarlyRows
  assert.equal(early({}), 0)
  assert.equal(early({ CLICKHOUSE_WRITE_BUFFER: 'true' }), 500)
  assert.equal(
    early({ CLICKHOUSE_WRITE_BUFFER: 'true', CLICKHOUSE_CLUSTER: 'prod' }),
    0,
    'a cluster has no buffers'
  )
  assert.equal(early({ CLICKHOUSE_WRITE_BUFFER: 'true', BATCH_EARLY_ROWS: '0' }), 0)
  assert.equal(early({ BATCH_EARLY_ROWS: '300' }), 300)
})

test('a bad value names the variable and what is wrong with it', () => {
  assert.match(configError({ BATCH_MAX_ROWS: '0' }).message, /env\/BATCH_MAX_ROWS must be >= 1/)
  assert.match(configError({ BATCH_MAX_ROWS: '20k' }).message, /env\/BATCH_MAX_ROWS must be integer/)
  assert.match(
    configError({ LOG_LEVEL: 'loud' }).message,
    /env\/LOG_LEVEL must be equal to one of the allowed/
  )
  assert.match(
    configError({ CANDLES_FROM_TRADES: 'yes' }).message,
    /env\/CANDLES_FROM_TRADES must be boolean/
  )
})

test('the watermark rule is a schema rule: the low watermark must be below the high one', () => {
  const message = configError({ BUFFER_HIGH_WATERMARK: '0.3' }).message
  assert.equal(
    message,
    'invalid configuration: env/BUFFER_LOW_WATERMARK must be below BUFFER_HIGH_WATERMARK (0.4 is not below 0.3)'
  )
  assert.match(
    configError({ BUFFER_HIGH_WATERMARK: '0.5', BUFFER_LOW_WATERMARK: '0.5' }).message,
    /0\.5 is not below 0\.5/
  )
  // Reported together with other bad values, like any schema error.
  const both = configError({ BUFFER_LOW_WATERMARK: '0.95', BATCH_MAX_ROWS: '0' }).message
  assert.match(both, /BATCH_MAX_ROWS must be >= 1/)
  assert.match(both, /BUFFER_LOW_WATERMARK must be below BUFFER_HIGH_WATERMARK \(0\.95 is not below 0\.8\)/)
  // An invalid high watermark is reported as itself, not as a broken rule.
  const invalidHigh = configError({ BUFFER_HIGH_WATERMARK: 'high' }).message
  assert.match(invalidHigh, /env\/BUFFER_HIGH_WATERMARK must be number/)
  assert.doesNotMatch(invalidHigh, /must be below/)
  assert.equal(
    configOf({ BUFFER_HIGH_WATERMARK: '0.5', BUFFER_LOW_WATERMARK: '0.49' }).bridge.lowWatermark,
    0.49
  )
})

test('loadConfig reads only the environment it is given and freezes the result', () => {
  const config = loadConfig({ BATCH_MAX_ROWS: '7' }, '/nonexistent/.env')
  assert.equal(config.bridge.batchMaxRows, 7)
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.feed) && Object.isFrozen(config.kafka.brokers))
})

test('the definitions are consistent: one name per variable, one field per key, rules that name a number', () => {
  const grouped = Object.values(settingGroups).flatMap((group) => Object.keys(group))
  assert.equal(new Set(grouped).size, grouped.length, 'a variable is defined in two groups')
  assert.deepEqual(Object.keys(settings).sort(), [...grouped].sort())
  const fields = Object.values(settings).map((s) => `${s.section}.${s.key}`)
  assert.equal(new Set(fields).size, fields.length, 'two variables fill the same Config field')
  for (const [name, setting] of Object.entries(settings)) {
    const below = 'below' in setting.schema ? setting.schema.below : undefined
    if (below === undefined) continue
    const other = (settings as Record<string, { schema: { type: string } }>)[below]
    assert.ok(other && ['number', 'integer'].includes(other.schema.type), `${name}: below names ${below}`)
  }
})

// Compile-time: Config is derived, so these fail `tsc` if the derivation loses a field or its type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const typeChecks: [
  Same<Config['feed']['ordinal'], number>,
  Same<Config['kafka']['brokers'], string[]>,
  Same<Config['bridge']['candlesFromTrades'], boolean>,
  Same<Config['log']['pretty'], boolean>,
  Same<Config['hub']['port'], number>
] = [true, true, true, true, true]
void typeChecks

test('BRIDGE_TYPES and BRIDGE_POOL make the worker pool: its types, group and default instance id', () => {
  const trades = configOf({ BRIDGE_TYPES: 'candle, trade', INSTANCE_ORDINAL: '2' })
  assert.deepEqual(trades.bridge.pool, {
    name: 'trades',
    types: ['trade', 'candle'],
    groupId: 'tickbridge-bridge-trades'
  })
  assert.equal(trades.bridge.instanceId, 'tickbridge-bridge-trades-2')
  assert.equal(trades.bridge.groupId, 'tickbridge-bridge', 'BRIDGE_GROUP_ID itself stays the base')
  assert.equal(configOf({ BRIDGE_POOL: 'depth', BRIDGE_GROUP_ID: 'g' }).bridge.pool.groupId, 'g-depth')
  const refused = (env: Record<string, string>, reason: RegExp) =>
    assert.throws(
      () => configOf(env),
      (error: unknown) =>
        error instanceof TickbridgeError &&
        error.code === ErrorCodes.CONFIG_INVALID &&
        reason.test(error.message)
    )
  refused({ BRIDGE_TYPES: 'trades' }, /BRIDGE_TYPES: "trades" is not a message type/)
  refused({ BRIDGE_POOL: 'Depth' }, /BRIDGE_POOL: pool name "Depth": use lowercase letters/)
  // Valid one by one, not together: the error names both and says why.
  refused(
    { BRIDGE_POOL: 'trades', BRIDGE_TYPES: 'depth' },
    /BRIDGE_TYPES with BRIDGE_POOL: pool "trades" stands for trade,candle, not depth/
  )
})
