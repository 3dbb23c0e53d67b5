import type { SettingGroup } from './definition.ts'

/** The Kafka topics. */
export const topicSettings = {
  TOPIC_TRADES: {
    section: 'topics',
    key: 'trades',
    schema: { type: 'string', minLength: 1, default: 'market.trades' },
    description: 'Topic of `trade` messages.',
    readBy: '`bridge`, `sim`, `topics`, `start`'
  },
  TOPIC_DEPTH: {
    section: 'topics',
    key: 'depth',
    schema: { type: 'string', minLength: 1, default: 'market.depth' },
    description: 'Topic of `depth` messages.',
    readBy: '`bridge`, `topics`, `start`'
  },
  TOPIC_QUOTES: {
    section: 'topics',
    key: 'quotes',
    schema: { type: 'string', minLength: 1, default: 'market.quotes' },
    description: 'Topic of `quote` messages.',
    readBy: '`bridge`, `topics`, `start`'
  },
  TOPIC_CANDLES: {
    section: 'topics',
    key: 'candles',
    schema: { type: 'string', minLength: 1, default: 'market.candles' },
    description: 'Topic of `candle` messages.',
    readBy: '`bridge`, `topics`, `start`'
  },
  TOPIC_DLQ: {
    section: 'topics',
    key: 'dlq',
    schema: { type: 'string', minLength: 1, default: 'market.dlq' },
    description:
      'Dead-letter topic ([wire-format.md](wire-format.md#invalid-messages-the-dead-letter-topic)).',
    readBy: '`bridge`, `topics`, `start`'
  },
  TOPIC_PARTITIONS: {
    section: 'topics',
    key: 'partitions',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 6 },
    description:
      "Partitions of topics that tickbridge creates (existing topics are not changed), and the local broker's " +
      '`num.partitions`. More partitions allow more bridge instances.',
    readBy: '`bridge`, `sim`, `topics`, `start`, `scale`, `stack`'
  }
} as const satisfies SettingGroup
