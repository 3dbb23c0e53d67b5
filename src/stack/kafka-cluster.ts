import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { clusterBrokerPorts } from '../config/derived.ts'
import type { Config } from '../config/types.ts'
import {
  formatStorage,
  installKafkaJars,
  KAFKA_LOG4J,
  kafkaPaths,
  kafkaReady,
  kafkaServerArgs,
  kafkaVersion,
  requireJava,
  sharedBrokerProperties
} from './kafka-server.ts'
import { assertPortsFree, runningPid, startServer, stopOwned, tailFile } from './processes.ts'
import type { ComponentStatus } from './stack.ts'

/**
 * The local Kafka *cluster* (`stack up --cluster`): 3 KRaft nodes on 127.0.0.1, each a combined broker and
 * controller, the 3 controllers a static voter set (a quorum survives one loss). Replication factor 3 and
 * min.insync.replicas=2 for every topic, the internal ones included: with acks=all, a write acknowledged by
 * the leader is on two brokers, so killing any one loses nothing. Jars are the single node's.
 */
const CONTROLLER_OFFSET = 100

export interface KafkaClusterNode {
  id: number
  port: number
  controllerPort: number
  dir: string
  data: string
  properties: string
  log: string
  pid: string
}

export function kafkaClusterDir(config: Config): string {
  return join(config.stack.home, 'kafka-cluster')
}

export function kafkaClusterNodes(config: Config): KafkaClusterNode[] {
  return clusterBrokerPorts(config.stack.kafkaClusterPort).map((port, index) => {
    const id = index + 1
    const dir = join(kafkaClusterDir(config), `node-${id}`)
    return {
      id,
      port,
      controllerPort: port + CONTROLLER_OFFSET,
      dir,
      data: join(dir, 'data'),
      properties: join(dir, 'server.properties'),
      log: join(dir, 'kafka.log'),
      pid: join(dir, 'kafka.pid')
    }
  })
}

function nodeProperties(config: Config, node: KafkaClusterNode, nodes: KafkaClusterNode[]): string {
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')
  return `# Written by tickbridge stack up --cluster; edits are overwritten.
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${node.data}
unclean.leader.election.enable=false
${sharedBrokerProperties(config, nodes.length)}`
}

/** One node answers on its own listener (the cluster's health is all three). */
export function clusterNodeReady(config: Config, node: KafkaClusterNode): Promise<boolean> {
  return kafkaReady({
    ...config,
    kafka: { ...config.kafka, securityProtocol: 'PLAINTEXT', brokers: [`127.0.0.1:${node.port}`] }
  })
}

/** The cluster id all nodes are formatted with, made once. */
function clusterId(config: Config): string {
  const file = join(kafkaClusterDir(config), 'cluster.id')
  if (!existsSync(file)) {
    // A Kafka cluster id is a base64url UUID of 16 bytes.
    writeFileSync(file, Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url'))
  }
  return readFileSync(file, 'utf8').trim()
}

/** Starts the nodes not running yet (all at once: the quorum forms when two are up); idempotent. */
export async function startKafkaCluster(
  config: Config,
  progress: (line: string) => void,
  only?: number
): Promise<{ pid: number; started: boolean }[]> {
  const jars = kafkaPaths(config)
  const nodes = kafkaClusterNodes(config)
  requireJava()
  mkdirSync(kafkaClusterDir(config), { recursive: true })
  installKafkaJars(jars, progress)
  const log4j = join(kafkaClusterDir(config), 'log4j2.properties')
  writeFileSync(log4j, KAFKA_LOG4J)
  const id = clusterId(config)
  const wanted = nodes.filter((node) => only === undefined || node.id === only)
  return Promise.all(
    wanted.map(async (node) => {
      const running = runningPid(node.pid, node.properties)
      if (running !== null) return { pid: running, started: false }
      await assertPortsFree(
        [node.port, node.controllerPort],
        `Kafka cluster node ${node.id}`,
        'Stop that process, or move the cluster with TICKBRIDGE_KAFKA_CLUSTER_PORT.'
      )
      mkdirSync(node.dir, { recursive: true })
      writeFileSync(node.properties, nodeProperties(config, node, nodes))
      formatStorage(
        { data: node.data, properties: node.properties, lib: jars.lib, log4j },
        { clusterId: id, args: [] }
      )
      progress(`Starting Kafka ${kafkaVersion(jars)} cluster node ${node.id} on 127.0.0.1:${node.port}...`)
      return startServer(
        {
          command: 'java',
          args: kafkaServerArgs(config.stack.kafkaHeap, jars.lib, log4j, node.properties),
          cwd: node.dir,
          logFile: node.log,
          pidFile: node.pid
        },
        () => clusterNodeReady(config, node),
        {
          what: `Kafka cluster node ${node.id}`,
          timeoutMs: config.stack.startTimeoutMs,
          onFailure: () => `Last lines of ${node.log}:\n${tailFile(node.log)}`
        }
      )
    })
  )
}

/** Stops the running nodes; returns what was stopped, e.g. `kafka-2 (pid 123)`. */
export async function stopKafkaCluster(config: Config): Promise<string[]> {
  const nodes = kafkaClusterNodes(config)
  const pids = await Promise.all(nodes.map((node) => stopOwned(node.pid, node.properties)))
  return nodes.flatMap((node, i) => (pids[i] === null ? [] : [`kafka-${node.id} (pid ${pids[i]})`]))
}

/** The pid of each node (null: not running), for `stack status` and the failover tests. */
export function kafkaClusterPids(config: Config): (number | null)[] {
  return kafkaClusterNodes(config).map((node) => runningPid(node.pid, node.properties))
}

/** One `stack status` row per node: `kafka-1` … `kafka-3`. */
export async function kafkaClusterStatus(config: Config): Promise<ComponentStatus[]> {
  const nodes = kafkaClusterNodes(config)
  const healthy = await Promise.all(nodes.map((node) => clusterNodeReady(config, node)))
  const version = kafkaVersion(kafkaPaths(config))
  return nodes.map((node, i) => ({
    name: `kafka-${node.id}` as const,
    mode: 'local',
    endpoint: `127.0.0.1:${node.port}`,
    pid: runningPid(node.pid, node.properties),
    healthy: healthy[i] ?? false,
    version,
    log: node.log
  }))
}
