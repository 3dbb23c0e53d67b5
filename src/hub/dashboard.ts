import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { projectRoot } from '../config/load.ts'

/** The dashboard's static files: the page (src/hub/dashboard/) and the uPlot chart library from node_modules. */
const assets: Record<string, { file: string; type: string }> = {
  '/': { file: 'src/hub/dashboard/index.html', type: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: 'src/hub/dashboard/dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: 'src/hub/dashboard/dashboard.css', type: 'text/css; charset=utf-8' },
  '/assets/uPlot.js': {
    file: 'node_modules/uplot/dist/uPlot.iife.min.js',
    type: 'text/javascript; charset=utf-8'
  },
  '/assets/uPlot.css': { file: 'node_modules/uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' }
}

export function addDashboardRoutes(app: FastifyInstance): void {
  for (const [path, asset] of Object.entries(assets)) {
    const body = readFileSync(join(projectRoot, asset.file))
    app.get(path, async (_request, reply) => reply.header('content-type', asset.type).send(body))
  }
}
