import { join } from 'node:path'
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import ts from 'typescript'
import { projectRoot } from '../../src/config/load.ts'
import type { Json } from './helpers.ts'

/**
 * Kubernetes API validation without a cluster, against kubernetes-models (its JSON schemas and TypeScript
 * types are generated from the Kubernetes OpenAPI specification; see KUBERNETES_SCHEMA_VERSION):
 * - the JSON schema (types, enums, required fields, formats), through the model class of the kind;
 * - unknown fields, which the OpenAPI schemas allow but an API server drops (a misspelt `livenesProbe` would
 *   silently mean no probe): each manifest is type-checked as an object literal of the kind's TypeScript type,
 *   whose excess-property check names every field the API does not have.
 */
export const KUBERNETES_SCHEMA_VERSION = 'kubernetes-models 5.x: Kubernetes v1.36 API'

const kinds = {
  'apps/v1 Deployment': {
    model: Deployment,
    module: 'kubernetes-models/apps/v1/Deployment',
    type: 'IDeployment'
  },
  'apps/v1 StatefulSet': {
    model: StatefulSet,
    module: 'kubernetes-models/apps/v1/StatefulSet',
    type: 'IStatefulSet'
  },
  'v1 Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1 ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1 PersistentVolumeClaim': {
    model: PersistentVolumeClaim,
    module: 'kubernetes-models/v1/PersistentVolumeClaim',
    type: 'IPersistentVolumeClaim'
  },
  'policy/v1 PodDisruptionBudget': {
    model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget'
  }
} as const

type KindKey = keyof typeof kinds
const kindOf = (document: Json): string => `${String(document.apiVersion)} ${String(document.kind)}`
const name = (document: Json): string =>
  `${String(document.kind)}/${String((document.metadata as Json | undefined)?.name)}`

/** Schema problems of each document, as "<Kind>/<name>: <path> <message>". */
export function schemaProblems(documents: Json[]): string[] {
  return documents.flatMap((document) => {
    const kind = kinds[kindOf(document) as KindKey]
    if (!kind) return [`${name(document)}: ${kindOf(document)} is not a kind these manifests are checked for`]
    try {
      new kind.model(document as never).validate()
      return []
    } catch (error) {
      return [`${name(document)}: ${(error as Error).message}`]
    }
  })
}

/** Fields the Kubernetes API does not have, or of the wrong type, found by the TypeScript compiler. */
export function typeProblems(documents: Json[]): string[] {
  const fileName = join(projectRoot, 'test/deploy/__manifests__.ts')
  const known = documents.filter((d) => kinds[kindOf(d) as KindKey])
  const source = known
    .map((document, i) => {
      const kind = kinds[kindOf(document) as KindKey]
      return `import type { ${kind.type} as T${i} } from '${kind.module}'\nexport const doc${i}: T${i} = ${JSON.stringify(document, null, 1)}\n`
    })
    .join('')
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es5.d.ts'],
    types: []
  }
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists } = host
  host.getSourceFile = (file, language, ...rest) =>
    file === fileName
      ? ts.createSourceFile(file, source, language)
      : getSourceFile.call(host, file, language, ...rest)
  host.fileExists = (file) => file === fileName || fileExists.call(host, file)
  const program = ts.createProgram([fileName], options, host)
  const documentStarts = [...source.matchAll(/^export const doc(\d+)/gm)].map((m) => m.index)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return message
    const index = documentStarts.filter((start) => start <= (diagnostic.start ?? 0)).length - 1
    const document = known[index]
    return `${document ? name(document) : '?'}: ${message}`
  })
}
