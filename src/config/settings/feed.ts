import type { SettingGroup } from './definition.ts'

/** Feeds: exchange credentials and what a feed does while Kafka is slow or away. */
export const feedSettings = {
  POLYGON_API_KEY: {
    section: 'feed',
    key: 'polygonApiKey',
    schema: { type: 'string', default: '' },
    description:
      "The Polygon / Massive API key for `tickbridge feed --exchange polygon`; sent in the socket's auth " +
      'message, never logged. Required for that feed.',
    readBy: '`feed`'
  },
  FEED_MEMORY_QUEUE_MAX: {
    section: 'feed',
    key: 'memoryQueueMax',
    schema: { type: 'integer', minimum: 1000, default: 100000 },
    description:
      "Messages a feed keeps in memory while Kafka is slow or away. Past it, new messages go to the feed's " +
      'spool on disk, in order, and are produced from there as Kafka catches up.',
    readBy: '`feed`'
  },
  FEED_SPOOL_DIR: {
    section: 'feed',
    key: 'spoolDir',
    schema: { type: 'string', default: '' },
    shownDefault: '`<TICKBRIDGE_HOME>/spool`',
    description:
      'Where feeds spool, one directory per instance id (`tickbridge-feed-wallex-1`, …). What a feed could ' +
      'not produce before it stopped stays here and is produced first by the next run with the same ' +
      'instance id. Two running feeds with the same id are refused.',
    readBy: '`feed`'
  },
  FEED_SPOOL_MAX_BYTES: {
    section: 'feed',
    key: 'spoolMaxBytes',
    schema: { type: 'integer', minimum: 1048576, default: 2147483648 },
    description:
      "Disk a feed's spool may use (the default is 2 GiB). When it is full and Kafka still does not take " +
      'messages, new ones are dropped, counted (`dropped` in heartbeats, ' +
      '`tickbridge_feed_dropped_messages_total`) and logged as a `GAP`.',
    readBy: '`feed`'
  }
} as const satisfies SettingGroup
