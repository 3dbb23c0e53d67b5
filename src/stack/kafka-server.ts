import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../config/load.ts'
import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { createAdmin } from '../kafka/clients.ts'
import { installMavenJars } from './maven.ts'
import {
  ensureCertificates,
  ensureScramUser,
  kafkaSaslPaths,
  LOCAL_SASL_USER,
  saslListenerProperties
} from './kafka-sasl.ts'
import {
  assertPortsFree,
  commandExists,
  portOpen,
  runningPid,
  startServer,
  stopOwned,
  tailFile
} from './processes.ts'

/** The local Apache Kafka broker: KRaft, one combined broker+controller on 127.0.0.1, from Maven Central jars. */
export function kafkaPaths(config: Config) {
  const dir = join(config.stack.home, 'kafka')
  return {
    dir,
    lib: join(dir, 'lib'),
    data: join(dir, 'data'),
    properties: join(dir, 'server.properties'),
    log4j: join(dir, 'log4j2.properties'),
    log: join(dir, 'kafka.log'),
    pid: join(dir, 'kafka.pid'),
    pom: join(projectRoot, 'pom.xml')
  }
}

export type KafkaPaths = ReturnType<typeof kafkaPaths>

export function requireJava(): void {
  if (!commandExists('java')) {
    throw new TickbridgeError(
      ErrorCodes.JAVA_MISSING,
      'Java is not installed (needed to run the local Kafka broker).',
      {
        hint: 'Install a JDK 17+ (Debian: apt-get install -y openjdk-17-jre-headless), or point KAFKA_BROKERS at an existing cluster.'
      }
    )
  }
}

/** Resolves the Kafka runtime jars once (Maven copies them into .tickbridge/kafka/lib; later runs reuse them). */
export function installKafkaJars(paths: KafkaPaths, progress: (line: string) => void): void {
  installMavenJars(
    {
      what: 'Apache Kafka',
      pom: paths.pom,
      lib: paths.lib,
      alternative: 'point KAFKA_BROKERS at an existing cluster'
    },
    progress
  )
}

export function kafkaVersion(paths: KafkaPaths): string {
  const jar = existsSync(paths.lib)
    ? readdirSync(paths.lib).find((f) => /^kafka_2\.13-.*\.jar$/.test(f))
    : undefined
  return jar?.replace(/^kafka_2\.13-(.*)\.jar$/, '$1') ?? 'unknown'
}

function writeKafkaConfig(config: Config, paths: KafkaPaths): void {
  const { kafkaPort, kafkaControllerPort, kafkaSaslPort } = config.stack
  // The SASL_SSL listener (TICKBRIDGE_KAFKA_SASL_PORT, 0 = none) sits beside the plaintext one: see kafka-sasl.ts.
  const sasl = kafkaSaslPort > 0 ? `,SASL_SSL://127.0.0.1:${kafkaSaslPort}` : ''
  writeFileSync(
    paths.properties,
    `# Written by tickbridge stack up; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${kafkaControllerPort}
listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaControllerPort}${sasl}
advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}${sasl}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=PLAINTEXT
log.dirs=${paths.data}
${sharedBrokerProperties(config, 1)}${kafkaSaslPort > 0 ? saslListenerProperties(kafkaSaslPaths(paths.dir)) : ''}`,
    // It holds the keystore's password: readable by the owner only (chmod: the mode applies to new files).
    { mode: 0o600 }
  )
  chmodSync(paths.properties, 0o600)
  writeFileSync(paths.log4j, KAFKA_LOG4J)
}

/** The broker settings the single node and the local cluster share (`replication`: their replication factor). */
export function sharedBrokerProperties(config: Config, replication: number): string {
  const minIsr = Math.min(2, replication)
  return `num.partitions=${config.topics.partitions}
default.replication.factor=${replication}
min.insync.replicas=${minIsr}
offsets.topic.replication.factor=${replication}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${replication}
transaction.state.log.min.isr=${minIsr}
share.coordinator.state.topic.replication.factor=${replication}
share.coordinator.state.topic.min.isr=${minIsr}
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
message.max.bytes=8388608
replica.fetch.max.bytes=8388608
log.retention.hours=168
log.segment.bytes=268435456
`
}

export const KAFKA_LOG4J = `rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=WARN
logger.apache.name=org.apache.kafka
logger.apache.level=WARN
logger.started.name=kafka.server.KafkaRaftServer
logger.started.level=INFO
logger.groups.name=org.apache.kafka.coordinator.group.GroupMetadataManager
logger.groups.level=INFO
`

/** Runs a Kafka tool class on the stack's jars (the single node's and the cluster's share them). */
export function kafkaJava(lib: string, log4j: string, mainClass: string, args: string[]) {
  return spawnSync('java', ['-cp', `${lib}/*`, `-Dlog4j2.configurationFile=${log4j}`, mainClass, ...args], {
    encoding: 'utf8'
  })
}

/** What formatting a KRaft node's log dir needs: its dir, its config, and the tool's jars. */
export interface KafkaNodeFiles {
  data: string
  properties: string
  lib: string
  log4j: string
}

/**
 * Formats the storage on first start; a data dir without meta.properties is a half-formatted one. The single
 * node formats with `--standalone`; the cluster's nodes share one cluster id and a static voter set.
 */
export function formatStorage(
  node: KafkaNodeFiles,
  options: { clusterId?: string; args: string[] } = { args: ['--standalone'] }
): void {
  const meta = join(node.data, 'meta.properties')
  if (existsSync(meta)) return
  if (existsSync(node.data) && readdirSync(node.data).length > 0) {
    throw new TickbridgeError(
      ErrorCodes.KAFKA_STORAGE_INVALID,
      `Kafka data dir ${node.data} is not empty but was never formatted (an interrupted first start?).`,
      {
        hint: 'Run `tickbridge stack down --purge` to remove the local stack data, then `tickbridge stack up`.'
      }
    )
  }
  const uuid =
    options.clusterId ??
    kafkaJava(node.lib, node.log4j, 'kafka.tools.StorageTool', ['random-uuid']).stdout.trim()
  const result = kafkaJava(node.lib, node.log4j, 'kafka.tools.StorageTool', [
    'format',
    '-t',
    uuid,
    '-c',
    node.properties,
    ...options.args
  ])
  if (result.status !== 0) {
    throw new TickbridgeError(
      ErrorCodes.KAFKA_STORAGE_INVALID,
      `Formatting Kafka storage failed:\n${result.stdout}${result.stderr}`
    )
  }
}

/** The JVM command line of one broker process. */
export function kafkaServerArgs(heap: string, lib: string, log4j: string, properties: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    `${lib}/*`,
    'kafka.Kafka',
    properties
  ]
}

export async function kafkaReady(config: Config): Promise<boolean> {
  if (
    !(await portOpen(
      Number(config.kafka.brokers[0]?.split(':')[1] ?? config.stack.kafkaPort),
      config.kafka.brokers[0]?.split(':')[0]
    ))
  ) {
    return false
  }
  const admin = createAdmin({ ...config.kafka }, 'tickbridge-health')
  try {
    await admin.listTopics()
    return true
  } catch {
    return false
  } finally {
    await admin.close().catch(() => undefined)
  }
}

export async function startKafka(
  config: Config,
  progress: (line: string) => void
): Promise<{ pid: number; started: boolean }> {
  const paths = kafkaPaths(config)
  const running = runningPid(paths.pid, paths.properties)
  if (running !== null) {
    if (config.stack.kafkaSaslPort > 0) {
      // A broker started by an older tickbridge has no SASL_SSL listener (nor its certificates) until restarted.
      if (readFileSync(paths.properties, 'utf8').includes('SASL_SSL://'))
        ensureLocalScramUser(config, paths, progress)
      else
        progress(
          'Kafka runs without the SASL_SSL listener (started by an older tickbridge): ' +
            '`tickbridge stack down && tickbridge stack up` adds it'
        )
    }
    return { pid: running, started: false }
  }
  requireJava()
  mkdirSync(paths.dir, { recursive: true })
  installKafkaJars(paths, progress)
  const { kafkaPort, kafkaControllerPort, kafkaSaslPort } = config.stack
  await assertPortsFree(
    [kafkaPort, kafkaControllerPort, ...(kafkaSaslPort > 0 ? [kafkaSaslPort] : [])],
    'Kafka',
    'Stop that process, or choose other ports with TICKBRIDGE_KAFKA_PORT / TICKBRIDGE_KAFKA_CONTROLLER_PORT / TICKBRIDGE_KAFKA_SASL_PORT, or use it with KAFKA_BROKERS.'
  )
  if (kafkaSaslPort > 0) ensureCertificates(kafkaSaslPaths(paths.dir))
  writeKafkaConfig(config, paths)
  formatStorage(paths)
  progress(
    `Starting Kafka ${kafkaVersion(paths)} (KRaft) on 127.0.0.1:${kafkaPort}${kafkaSaslPort > 0 ? ` (SASL_SSL on ${kafkaSaslPort})` : ''}...`
  )
  const heap = config.stack.kafkaHeap
  const started = await startServer(
    {
      command: 'java',
      args: kafkaServerArgs(heap, paths.lib, paths.log4j, paths.properties),
      cwd: paths.dir,
      logFile: paths.log,
      pidFile: paths.pid
    },
    // Probed on its plaintext listener, whatever security the clients are configured with.
    () =>
      kafkaReady({
        ...config,
        kafka: { ...config.kafka, securityProtocol: 'PLAINTEXT', brokers: [`127.0.0.1:${kafkaPort}`] }
      }),
    {
      what: 'Kafka',
      timeoutMs: config.stack.startTimeoutMs,
      onFailure: () => `Last lines of ${paths.log}:\n${tailFile(paths.log)}`
    }
  )
  if (kafkaSaslPort > 0) ensureLocalScramUser(config, paths, progress)
  return started
}

/** The SCRAM user lives in the cluster metadata: created once per formatted log dir (stamped with its id). */
function ensureLocalScramUser(config: Config, paths: KafkaPaths, progress: (line: string) => void): void {
  const sasl = kafkaSaslPaths(paths.dir)
  const clusterId = /cluster\.id=(\S+)/.exec(readFileSync(join(paths.data, 'meta.properties'), 'utf8'))?.[1]
  const stamp = join(sasl.dir, `scram-user.${clusterId ?? 'unknown'}`)
  if (existsSync(stamp)) return
  progress(`Creating the SCRAM user ${LOCAL_SASL_USER} of the SASL_SSL listener...`)
  ensureScramUser(config, sasl, (mainClass, args) => kafkaJava(paths.lib, paths.log4j, mainClass, args))
  writeFileSync(stamp, '')
}

export function stopKafka(config: Config): Promise<number | null> {
  const paths = kafkaPaths(config)
  return stopOwned(paths.pid, paths.properties)
}

export function kafkaToolClass(tool: string): string | undefined {
  return {
    'consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    topics: 'org.apache.kafka.tools.TopicCommand',
    'console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
    'get-offsets': 'org.apache.kafka.tools.GetOffsetShell'
  }[tool]
}
