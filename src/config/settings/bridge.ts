import type { SettingGroup } from './definition.ts'

/** The bridge: consumer group, identity, batching, backpressure, retries, candles, retention. */
export const bridgeSettings = {
  BRIDGE_GROUP_ID: {
    section: 'bridge',
    key: 'groupId',
    schema: { type: 'string', minLength: 1, default: 'tickbridge-bridge' },
    description:
      'Kafka consumer group of the bridges. All instances that share the work use the same group; a worker ' +
      "pool's bridges use `<BRIDGE_GROUP_ID>-<pool>` (BRIDGE_POOL).",
    readBy: '`bridge`, `scale`, `lag`, `hub`, `validate`'
  },
  BRIDGE_TYPES: {
    section: 'bridge',
    key: 'poolTypes',
    schema: { type: 'string', default: '' },
    description:
      'Message types this bridge consumes (`trade,candle`): only their topics, in the consumer group of its ' +
      'worker pool, so a burst of one type never delays another. Empty: every type (or those of BRIDGE_POOL). ' +
      'The candle recompute runs only in a pool that consumes trades. Same as `tickbridge bridge --types`.',
    readBy: '`bridge`'
  },
  BRIDGE_POOL: {
    section: 'bridge',
    key: 'poolName',
    schema: { type: 'string', default: '' },
    description:
      "This bridge's worker pool (lowercase letters, digits and `-`); its consumer group is `<BRIDGE_GROUP_ID>-<pool>`, its default instance id " +
      '`tickbridge-bridge-<pool>-<INSTANCE_ORDINAL>`. Presets: `trades` (trade, candle) and `depth` (depth, ' +
      'quote). Empty: named after BRIDGE_TYPES (the preset with those types, else the types joined by `-`); ' +
      'neither set: the pool `all`, every type in BRIDGE_GROUP_ID. Same as `tickbridge bridge --pool`.',
    readBy: '`bridge`'
  },
  INSTANCE_ID: {
    section: 'bridge',
    key: 'instanceId',
    schema: { type: 'string', default: '' },
    description:
      "This instance's id: its Kafka client id, the `instanceId` in its logs, `instance_id` in its dead " +
      'letters. Empty: `tickbridge-bridge-<INSTANCE_ORDINAL>` (in a worker pool `tickbridge-bridge-<pool>-' +
      '<INSTANCE_ORDINAL>`) when the ordinal is set; else the hostname when ' +
      'it ends in an ordinal (a StatefulSet pod `tickbridge-bridge-2`, a container `…_2`); else ' +
      '`tickbridge-bridge-<hostname>-<pid>`. Must be unique per running instance: the hub answers a second ' +
      'live process with the same id `409` and the bridge logs it.',
    readBy: '`bridge`'
  },
  INSTANCE_ORDINAL: {
    section: 'bridge',
    key: 'ordinal',
    schema: { type: 'integer', minimum: 0 },
    description:
      "Used to build the default instance id (and a feed's). `start` runs ordinal 1; `scale N` runs " +
      "ordinals 1..N (per worker pool). Unset: the hostname's trailing ordinal, else 1.",
    readBy: '`bridge`, `feed`'
  },
  BATCH_MAX_ROWS: {
    section: 'bridge',
    key: 'batchMaxRows',
    schema: { type: 'integer', minimum: 1, default: 100000 },
    description:
      "Insert a table's batch as soon as it holds this many messages. Reached only when the bridge is behind " +
      '(a backlog, a catch-up): then inserts are large, the cheapest per row for ClickHouse.',
    readBy: '`bridge`'
  },
  BATCH_MAX_AGE_MS: {
    section: 'bridge',
    key: 'batchMaxAgeMs',
    schema: { type: 'integer', minimum: 1, default: 50 },
    description:
      "Insert a table's batch when its first message is this old, times the inverse of the bridge's share " +
      "of the partitions (1 bridge: 50 ms; 3 bridges: 150 ms each), so the cluster's inserts per table per " +
      'second do not grow with the number of bridges.',
    readBy: '`bridge`'
  },
  BATCH_EARLY_ROWS: {
    section: 'bridge',
    key: 'batchEarlyRows',
    schema: { type: 'integer', minimum: 0 },
    shownDefault: '`500` with `CLICKHOUSE_WRITE_BUFFER` on one server, else `0`',
    description:
      "0: off. Else a table's batch holding at least this many messages is inserted after BATCH_MAX_AGE_MS, " +
      "unscaled by the bridge's share of the partitions (a busy bridge of 3 waits 50 ms, not 150 ms), while " +
      'the cluster still makes at most about 20 + msg/s ÷ this inserts per table per second, whatever the ' +
      'number of bridges. Into write buffers an insert makes no part, so busy batches go early by default ' +
      '(0 there: every batch waits for the scaled age). ' +
      'Direct inserts: for a ClickHouse with CPU to spare (at 50,000 msg/s with 3 bridges, 500 gave p99 ' +
      '146–152 ms recv_ts → queryable against 192–252 ms, for 3× the parts and 40 % more ClickHouse CPU; ' +
      'docs/benchmarks.md, 2026-12-01).',
    readBy: '`bridge`'
  },
  BUFFER_MAX_MESSAGES: {
    section: 'bridge',
    key: 'bufferMaxMessages',
    schema: { type: 'integer', minimum: 100, default: 250000 },
    description:
      'Messages one instance holds (read but not yet acknowledged by ClickHouse or the dead-letter topic) ' +
      'that the watermarks refer to. A held trade costs ~200 bytes (its row), so the default holds ~50 MB at most.',
    readBy: '`bridge`'
  },
  BUFFER_HIGH_WATERMARK: {
    section: 'bridge',
    key: 'highWatermark',
    schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.8 },
    description: 'At this fill fraction, pause fetching from Kafka (`BACKPRESSURE ACTIVE`).',
    readBy: '`bridge`'
  },
  BUFFER_LOW_WATERMARK: {
    section: 'bridge',
    key: 'lowWatermark',
    schema: {
      type: 'number',
      minimum: 0,
      exclusiveMaximum: 1,
      below: 'BUFFER_HIGH_WATERMARK',
      default: 0.4
    },
    description: 'At or below this fraction, resume (`BACKPRESSURE RELEASED`).',
    readBy: '`bridge`'
  },
  KAFKA_SESSION_TIMEOUT_MS: {
    section: 'kafka',
    key: 'sessionTimeoutMs',
    schema: { type: 'integer', minimum: 1000, default: 6000 },
    description:
      "Consumer-group session timeout: how soon a dead instance's partitions move to the survivors. The " +
      'rebalance timeout is the larger of this and 10 s.',
    readBy: '`bridge`'
  },
  KAFKA_HEARTBEAT_INTERVAL_MS: {
    section: 'kafka',
    key: 'heartbeatIntervalMs',
    schema: { type: 'integer', minimum: 100, default: 1000 },
    description: 'Consumer-group heartbeat interval (keep it well below the session timeout).',
    readBy: '`bridge`'
  },
  KAFKA_FETCH_MIN_BYTES: {
    section: 'kafka',
    key: 'fetchMinBytes',
    schema: { type: 'integer', minimum: 1, default: 65536 },
    description:
      'A fetch returns once the broker holds this much for the consumer, or after KAFKA_FETCH_MAX_WAIT_MS. ' +
      'Larger fetches cost the broker and the bridge less per message: at 50,000 msg/s with 3 bridges, 64 KiB ' +
      'and 20 ms against 1 byte and 100 ms cut Kafka from 49 % to 38 % of a core and p99 recv_ts → queryable ' +
      'from 606 to 375 ms (one run each, docs/benchmarks.md).',
    readBy: '`bridge`'
  },
  KAFKA_FETCH_MAX_WAIT_MS: {
    section: 'kafka',
    key: 'fetchMaxWaitMs',
    schema: { type: 'integer', minimum: 1, default: 20 },
    description:
      'The longest a fetch waits for KAFKA_FETCH_MIN_BYTES while no batch is open: what a quiet partition adds ' +
      "to a message's latency at most. While a batch is open a fetch waits until just before it is due " +
      '(KAFKA_FETCH_ALIGN), at least this long.',
    readBy: '`bridge`'
  },
  KAFKA_FETCH_IDLE_WAIT_MS: {
    section: 'kafka',
    key: 'fetchIdleWaitMs',
    schema: { type: 'integer', minimum: 0, maximum: 30000, default: 250 },
    description:
      'Once a bridge has received nothing for 100 ms, its fetches ask for 1 byte and wait up to this long: ' +
      'the broker answers as soon as a message arrives, so a quiet bridge polls a few times a second instead ' +
      'of every KAFKA_FETCH_MAX_WAIT_MS, at no latency cost (a pipeline of 3 bridges at 1 msg/s: Kafka 11 % → ' +
      '5 % of a core, each bridge ~4 % → ~2.5 %). 0: always fetch as KAFKA_FETCH_MIN_BYTES and ' +
      'KAFKA_FETCH_MAX_WAIT_MS say.',
    readBy: '`bridge`'
  },
  KAFKA_FETCH_ALIGN: {
    section: 'kafka',
    key: 'fetchAlign',
    schema: { type: 'boolean', default: true },
    description:
      'A fetch made while a batch is open waits at the broker (for KAFKA_FETCH_MIN_BYTES) until just before ' +
      'that batch is due, instead of KAFKA_FETCH_MAX_WAIT_MS: what it brings would have waited in the batch ' +
      'anyway, so the bridge fetches about twice per batch instead of every KAFKA_FETCH_MAX_WAIT_MS, at no ' +
      'latency cost. false: every fetch waits as KAFKA_FETCH_MAX_WAIT_MS says.',
    readBy: '`bridge`'
  },
  INSERT_RETRY_MAX_DELAY_MS: {
    section: 'bridge',
    key: 'insertRetryMaxDelayMs',
    schema: { type: 'integer', minimum: 10, default: 5000 },
    description:
      'Cap of the backoff (100 ms, 200 ms, 400 ms, … up to this) between retries of a failed insert, ' +
      'dead-letter write or candle refresh. Retries never give up while running.',
    readBy: '`bridge`'
  },
  STATS_INTERVAL_MS: {
    section: 'bridge',
    key: 'statsIntervalMs',
    schema: { type: 'integer', minimum: 0, default: 10000 },
    description: 'How often a bridge logs its counters (`bridge stats`), and a feed its own; 0 turns it off.',
    readBy: '`bridge`, `feed`'
  },
  CANDLES_FROM_TRADES: {
    section: 'bridge',
    key: 'candlesFromTrades',
    schema: { type: 'boolean', default: true },
    description:
      'After each trades insert, recompute the touched 10s candles from the trades, the 1m candles from ' +
      'those, and the 5m/15m/1h/4h/1d candles from the 1m ones ([clickhouse-schema.md](clickhouse-schema.md#candles)).',
    readBy: '`bridge`'
  },
  CANDLE_REFRESH_INTERVAL_MS: {
    section: 'bridge',
    key: 'candleRefreshIntervalMs',
    schema: { type: 'integer', minimum: 0, default: 1000 },
    description:
      'Minimum time between two candle recomputes of one instance, times the inverse of its share of the ' +
      'partitions (3 bridges: 3 s each), so the cluster recomputes about once a second however many ' +
      'bridges run; requests in between are merged. Each recompute reads the touched 10-second slices of ' +
      'the trades (with `FINAL` only where a trade is stored twice) and rolls them up into the longer ' +
      'timeframes: queries that compete with inserts for ClickHouse CPU ([candles.md](candles.md)). With ' +
      'CLICKHOUSE_WRITE_BUFFER a recompute also waits for the flush that stores its trades, so it runs at most ' +
      'as often as the flushes (BUFFER_FLUSH_INTERVAL_MS).',
    readBy: '`bridge`'
  },
  CANDLE_REFRESH_MAX_SHARE: {
    section: 'bridge',
    key: 'candleRefreshMaxShare',
    schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5 },
    description:
      'The most of the time the bridges together spend recomputing candles, split among them like the ' +
      'partitions: after a recompute that took d ms, a bridge waits at least d × (N / share − 1) ms, at most ' +
      '30 s, before the next (N as for `CANDLE_REFRESH_INTERVAL_MS`), so recomputes that got slow on a busy ' +
      'ClickHouse are spaced out instead of taking all its CPU from the inserts; candles and commits then trail ' +
      'the trades by longer. 1: no rest (refreshes still run one at a time). At 50,000 msg/s on a saturated ' +
      '2-core machine, where the bridges before it fell behind (p99 recv_ts → queryable 1.3 and 8.4 s), p99 stayed at 0.6–0.8 s (docs/benchmarks.md).',
    readBy: '`bridge`'
  },
  CLICKHOUSE_WRITE_BUFFER: {
    section: 'clickhouse',
    key: 'writeBuffer',
    schema: { type: 'boolean', default: false },
    description:
      'One server: insert into the `Buffer` tables (`trades`, `depth`, `quotes`) instead of their `<name>_local` ' +
      'tables. Far fewer parts and merges and lower latency under load (docs/benchmarks.md), but a `SELECT` that ' +
      'runs while a buffer is flushed can miss the rows being flushed (measured on 18.16: 47 of 969 counts ' +
      'during back-to-back flushes came up short): off by default. Commits wait for the flush either way ' +
      '([clickhouse-schema.md](clickhouse-schema.md#write-buffers)).',
    readBy: '`bridge`'
  },
  BUFFER_FLUSH_INTERVAL_MS: {
    section: 'bridge',
    key: 'bufferFlushIntervalMs',
    schema: { type: 'integer', minimum: 0, default: 2000 },
    description:
      "With CLICKHOUSE_WRITE_BUFFER: minimum time between two flushes of ClickHouse's write buffers by one instance, times the " +
      'inverse of its share of the partitions (3 bridges: 6 s each). Rows are queryable as soon as they are ' +
      'in the buffer; their offsets are committed after the flush that stores them, so this is also how far ' +
      'behind the commits run, and how much a crash re-delivers. Each flush writes one part per table and ' +
      'buffer layer: the cluster writes them about every 2 s however many bridges insert. Shorter means ' +
      'smaller parts and more merging: at 50,000 msg/s, 1000 cost ClickHouse ~4 points of a core more and ' +
      'doubled the p99 ([clickhouse-schema.md](clickhouse-schema.md#write-buffers)).',
    readBy: '`bridge`'
  },
  RETENTION_DAYS: {
    section: 'clickhouse',
    key: 'retentionDays',
    schema: { type: 'integer', minimum: 1, default: 90 },
    description:
      'Days of data kept, by exchange time: the TTL written into tables when they are created (servers ' +
      "19.6+), or the age at which the bridge's hourly job drops day partitions (older servers). Changing " +
      'it does not alter the TTL of existing tables ([clickhouse-schema.md](clickhouse-schema.md#retention)).',
    readBy: '`migrate`, `bridge`, `start`'
  }
} as const satisfies SettingGroup
