import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { BRIDGE_NODE_FLAGS } from '../../src/bridge/node-flags.ts'
import { projectRoot } from '../../src/config/load.ts'

test("the bridge's V8 flags are the ones compose and Kubernetes start bridges with", () => {
  const flags = BRIDGE_NODE_FLAGS.join(' ')
  const read = (path: string) => readFileSync(`${projectRoot}/${path}`, 'utf8')
  assert.ok(read('compose.yaml').includes(`NODE_OPTIONS: ${flags}\n`), 'compose.yaml, service bridge')
  assert.ok(
    /- name: NODE_OPTIONS\n\s+value: (.*)\n/.exec(read('deploy/k8s/base/bridge.yaml'))?.[1] === flags,
    'deploy/k8s/base/bridge.yaml'
  )
})
