import type { SettingGroup } from './definition.ts'

/** Logs. */
export const logSettings = {
  LOG_LEVEL: {
    section: 'log',
    key: 'level',
    schema: {
      type: 'string',
      enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      default: 'info'
    },
    description: 'pino log level.',
    readBy: 'all'
  },
  LOG_PRETTY: {
    section: 'log',
    key: 'pretty',
    schema: { type: 'string', enum: ['auto', 'true', 'false'], default: 'auto' },
    description:
      '`true`: human-readable colour logs (pino-pretty). `false`: one JSON object per line. `auto`: pretty ' +
      'when stdout is a terminal. Processes started by `start` and `scale` always log JSON to their log files.',
    readBy: 'all'
  }
} as const satisfies SettingGroup
