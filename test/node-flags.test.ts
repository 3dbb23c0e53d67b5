import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { projectRoot } from '../src/config/load.ts'
import { WORKER_NODE_FLAGS } from '../src/node-flags.ts'

test('the V8 flags of bridges and feeds are the ones compose and Kubernetes start them with', () => {
  const flags = WORKER_NODE_FLAGS.join(' ')
  const read = (path: string) => readFileSync(`${projectRoot}/${path}`, 'utf8')
  const compose = read('compose.yaml')
  for (const service of ['feed', 'bridge']) {
    // The service's block: from its name to the next service at the same indentation.
    const block = new RegExp(`\\n  ${service}:\\n([\\s\\S]*?)\\n  [a-z-]+:\\n`).exec(compose)?.[1] ?? ''
    assert.ok(block.includes(`NODE_OPTIONS: ${flags}\n`), `compose.yaml, service ${service}`)
  }
  for (const manifest of ['bridge.yaml', 'feed-wallex.yaml']) {
    assert.equal(
      /- name: NODE_OPTIONS\n\s+value: (.*)\n/.exec(read(`deploy/k8s/base/${manifest}`))?.[1],
      flags,
      `deploy/k8s/base/${manifest}`
    )
  }
})
