// The hub dashboard: seeded from the JSON API, then updated live from /api/stream (server-sent events).
// Plain browser script, no build step; charts by uPlot (window.uPlot, served from /assets).
;(function () {
  'use strict'

  const MAX_POINTS = 900 // 15 minutes at one point a second
  const TIMELINE_MS = 15 * 60 * 1000
  const PALETTE = ['#58a6ff', '#3fb950', '#d29922', '#f778ba', '#a371f7', '#ff7b72', '#39c5cf', '#e3b341']

  const state = {
    times: [], // seconds since epoch, the charts' x axis
    rate: new Map(), // instanceId -> msg/s per point
    latency: new Map(), // bridge instanceId -> insert latency (ms) per point
    events: [],
    instances: [],
    charts: { rate: null, latency: null }
  }

  const $ = (id) => document.getElementById(id)
  const fmt = (n) => (typeof n === 'number' ? Math.round(n).toLocaleString('en-US') : '–')
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag)
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value)
    if (text !== undefined) node.textContent = text
    return node
  }

  function summarizePartitions(partitions) {
    const byTopic = new Map()
    for (const tp of partitions) {
      const split = tp.lastIndexOf(':')
      const topic = tp.slice(0, split).replace(/^.*\./, '')
      byTopic.set(topic, (byTopic.get(topic) || []).concat(tp.slice(split + 1)))
    }
    return [...byTopic].map(([topic, ps]) => `${topic}:${ps.join(',')}`).join(' ')
  }

  function ago(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000))
    return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`
  }

  // ---- series ---------------------------------------------------------------------------------------

  function seriesFor(map, id) {
    if (!map.has(id)) map.set(id, new Array(state.times.length).fill(null))
    return map.get(id)
  }

  function pushPoint(atMs, instances) {
    const t = Math.floor(atMs / 1000)
    if (state.times.length && state.times[state.times.length - 1] >= t) return
    state.times.push(t)
    for (const arr of state.rate.values()) arr.push(null)
    for (const arr of state.latency.values()) arr.push(null)
    const last = state.times.length - 1
    for (const i of instances) {
      if (i.state !== 'alive') continue
      seriesFor(state.rate, i.instanceId)[last] = i.messagesPerSecond
      if (i.role === 'bridge')
        seriesFor(state.latency, i.instanceId)[last] = i.lastHeartbeat.insertLatencyMs.mean
    }
    if (state.times.length > MAX_POINTS) {
      state.times.shift()
      for (const arr of state.rate.values()) arr.shift()
      for (const arr of state.latency.values()) arr.shift()
    }
  }

  /** Initial series from each instance's per-second history. */
  function seedHistory(instances) {
    const seconds = new Set()
    for (const i of instances) for (const s of i.history) seconds.add(Math.floor(s.at / 1000))
    state.times = [...seconds].sort((a, b) => a - b).slice(-MAX_POINTS)
    const index = new Map(state.times.map((t, n) => [t, n]))
    for (const i of instances) {
      const rate = seriesFor(state.rate, i.instanceId)
      const latency = i.role === 'bridge' ? seriesFor(state.latency, i.instanceId) : null
      for (const s of i.history) {
        const n = index.get(Math.floor(s.at / 1000))
        if (n === undefined) continue
        rate[n] = s.messagesPerSecond
        if (latency) latency[n] = s.insertLatencyMs
      }
    }
  }

  // ---- charts ---------------------------------------------------------------------------------------

  function drawChart(key, container, map) {
    const ids = [...map.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    const data = [state.times, ...ids.map((id) => map.get(id))]
    const existing = state.charts[key]
    if (existing && existing.ids.join('|') === ids.join('|')) {
      existing.plot.setData(data)
      return
    }
    if (existing) existing.plot.destroy()
    const width = Math.max(300, container.clientWidth - 8)
    const plot = new window.uPlot(
      {
        width,
        height: 220,
        series: [
          {},
          ...ids.map((id, n) => ({
            label: id,
            stroke: PALETTE[n % PALETTE.length],
            width: 2,
            spanGaps: false
          }))
        ],
        axes: [
          { stroke: '#8a96a3', grid: { stroke: '#27313c' } },
          { stroke: '#8a96a3', grid: { stroke: '#27313c' }, size: 60 }
        ],
        scales: { y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1)] } }
      },
      data,
      container
    )
    state.charts[key] = { plot, ids }
  }

  function renderCharts() {
    drawChart('rate', $('chart-rate'), state.rate)
    drawChart('latency', $('chart-latency'), state.latency)
  }

  // ---- tables, cards, timeline ----------------------------------------------------------------------

  function renderTotals(cluster) {
    const t = cluster.totals
    $('total-instances').textContent = `${t.instances.alive} alive · ${t.instances.dead} dead`
    $('total-feed-rate').textContent = `${fmt(t.feedMessagesPerSecond)} msg/s`
    $('total-bridge-rate').textContent = `${fmt(t.bridgeMessagesPerSecond)} msg/s`
    $('total-lag').textContent = cluster.lag.error ? 'unavailable' : fmt(cluster.lag.total)
    const card = $('backpressure-card')
    card.dataset.hold = String(cluster.backpressure.hold)
    $('backpressure').textContent = cluster.backpressure.hold
      ? `ACTIVE: ${cluster.backpressure.reason}`
      : 'off'
    const tables = Object.entries(cluster.tables)
    $('tables').textContent = tables.length ? tables.map(([name, n]) => `${name} ${fmt(n)}`).join(' · ') : '–'
  }

  function renderInstances(instances) {
    const body = $('instances').querySelector('tbody')
    body.replaceChildren(
      ...instances.map((i) => {
        const hb = i.lastHeartbeat
        const row = el('tr', { 'data-instance': i.instanceId, 'data-state': i.state, 'data-role': i.role })
        const byType = Object.entries(i.byType)
          .filter(([, rate]) => rate > 0)
          .map(([type, rate]) => `${type} ${fmt(rate)}`)
          .join(', ')
        const cells = [
          el('td', {}, i.instanceId),
          el('td', {}, i.role),
          el('td', { class: `state state-${i.state}` }, i.state === 'alive' ? '● alive' : '✕ dead'),
          el('td', { class: 'num' }, fmt(i.messagesPerSecond)),
          el('td', {}, byType || '–'),
          el(
            'td',
            { class: 'num' },
            i.role === 'bridge'
              ? `${fmt(hb.buffer.messages)} / ${fmt(hb.buffer.capacity)}`
              : fmt(hb.buffer.messages)
          ),
          el('td', { class: 'num' }, i.role === 'bridge' ? fmt(hb.insertLatencyMs.mean) : '–'),
          el(
            'td',
            { class: hb.pressure.effective === 'paused' ? 'pressure-paused' : '' },
            hb.pressure.effective
          ),
          el(
            'td',
            { class: 'partitions' },
            i.role === 'bridge'
              ? summarizePartitions(hb.partitions) || '(none)'
              : hb.feed
                ? `${hb.feed.exchange} ${hb.feed.connected ? 'connected' : 'disconnected'}`
                : '–'
          ),
          el('td', {}, ago(i.lastSeen))
        ]
        row.append(...cells)
        return row
      })
    )
  }

  function renderLag(cluster) {
    const body = $('lag').querySelector('tbody')
    // Topics nothing was ever written to (e.g. no quotes from this exchange) are summarised, not listed.
    const written = new Set(cluster.lag.partitions.filter((p) => p.end > 0).map((p) => p.topic))
    const shown = cluster.lag.partitions.filter((p) => written.has(p.topic))
    const hidden = [...new Set(cluster.lag.partitions.map((p) => p.topic))].filter(
      (topic) => !written.has(topic)
    )
    $('lag-hidden').textContent = hidden.length ? `empty topics not listed: ${hidden.join(', ')}` : ''
    const max = Math.max(1, ...shown.map((p) => p.lag))
    body.replaceChildren(
      ...shown.map((p) => {
        const bar = el('span', { class: 'bar', style: `width:${Math.round((p.lag / max) * 80)}px` })
        const lagCell = el('td', { class: 'num' })
        lagCell.append(bar, document.createTextNode(fmt(p.lag)))
        const row = el('tr', { 'data-partition': `${p.topic}:${p.partition}` })
        row.append(
          el('td', {}, p.topic),
          el('td', { class: 'num' }, String(p.partition)),
          el('td', { class: 'num' }, p.committed < 0 ? '–' : fmt(p.committed)),
          el('td', { class: 'num' }, fmt(p.end)),
          lagCell,
          el('td', {}, p.owner || '–')
        )
        return row
      })
    )
  }

  function renderEvents() {
    const list = $('events')
    list.replaceChildren(
      ...state.events
        .slice(-50)
        .reverse()
        .map((e) => {
          const item = el('li', { 'data-kind': e.kind, 'data-instance': e.instanceId || '' })
          item.append(
            el('span', { class: 'muted' }, `${new Date(e.at).toLocaleTimeString()} `),
            el('span', { class: `kind kind-${e.kind}` }, e.kind),
            document.createTextNode(`${e.instanceId ? `${e.instanceId}: ` : ''}${e.detail}`)
          )
          return item
        })
    )
  }

  function renderTimeline() {
    const svg = $('timeline')
    const width = svg.clientWidth || 800
    const now = Date.now()
    const start = now - TIMELINE_MS
    const x = (t) => Math.max(0, ((t - start) / TIMELINE_MS) * width)
    const ns = 'http://www.w3.org/2000/svg'
    const shape = (tag, attrs, title) => {
      const node = document.createElementNS(ns, tag)
      for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value))
      if (title) {
        const t = document.createElementNS(ns, 'title')
        t.textContent = title
        node.append(t)
      }
      return node
    }
    const nodes = []
    let holdSince = null
    for (const e of state.events) {
      if (e.kind === 'backpressure-active') holdSince = e.at
      if (e.kind === 'backpressure-released' && holdSince !== null) {
        nodes.push(
          shape(
            'rect',
            {
              x: x(holdSince),
              y: 8,
              width: Math.max(2, x(e.at) - x(holdSince)),
              height: 40,
              fill: '#f8514955'
            },
            `backpressure ${e.detail}`
          )
        )
        holdSince = null
      }
    }
    if (holdSince !== null)
      nodes.push(
        shape(
          'rect',
          { x: x(holdSince), y: 8, width: Math.max(2, x(now) - x(holdSince)), height: 40, fill: '#f8514955' },
          'backpressure active'
        )
      )
    const colors = {
      died: '#f85149',
      joined: '#3fb950',
      returned: '#3fb950',
      'partitions-changed': '#58a6ff'
    }
    for (const e of state.events) {
      if (!colors[e.kind] || e.at < start) continue
      nodes.push(
        shape(
          'line',
          { x1: x(e.at), x2: x(e.at), y1: 4, y2: 52, stroke: colors[e.kind], 'stroke-width': 2 },
          `${new Date(e.at).toLocaleTimeString()} ${e.kind} ${e.instanceId || ''} ${e.detail}`
        )
      )
    }
    for (let m = 0; m <= 15; m += 5) {
      const t = start + m * 60_000
      nodes.push(
        shape('text', { x: Math.min(width - 40, x(t) + 2), y: 66, fill: '#8a96a3', 'font-size': 11 }, null)
      )
      nodes[nodes.length - 1].textContent = m === 15 ? 'now' : `-${15 - m} min`
    }
    svg.replaceChildren(...nodes)
  }

  function render(cluster, instances) {
    state.instances = instances
    renderTotals(cluster)
    renderInstances(instances)
    renderLag(cluster)
    renderEvents()
    renderTimeline()
    renderCharts()
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`
  }

  // ---- data flow ------------------------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path)
    if (!response.ok) throw new Error(`${path}: ${response.status}`)
    return response.json()
  }

  function setConnection(text, stateName) {
    const badge = $('connection')
    badge.textContent = text
    badge.dataset.state = stateName
  }

  function connectStream() {
    const source = new EventSource('/api/stream')
    source.addEventListener('open', () => setConnection('live', 'live'))
    source.addEventListener('update', (message) => {
      const update = JSON.parse(message.data)
      state.events.push(...update.events)
      if (state.events.length > 1000) state.events.splice(0, state.events.length - 1000)
      pushPoint(update.at, update.instances)
      render(update.cluster, update.instances)
    })
    source.addEventListener('error', () => {
      setConnection('disconnected — retrying', 'disconnected')
      // EventSource retries by itself; if the hub restarted, reload the seed data once it is back.
      if (source.readyState === EventSource.CLOSED) setTimeout(connectStream, 2000)
    })
  }

  async function start() {
    try {
      const [instances, cluster, events] = await Promise.all([
        getJson('/api/instances?history=1'),
        getJson('/api/cluster'),
        getJson('/api/events')
      ])
      state.events = events
      seedHistory(instances)
      render(cluster, instances)
    } catch (error) {
      setConnection(`hub unreachable: ${error.message}`, 'disconnected')
    }
    connectStream()
  }

  window.addEventListener('resize', () => {
    for (const chart of Object.values(state.charts)) if (chart) chart.plot.destroy()
    state.charts = { rate: null, latency: null }
    renderCharts()
  })

  start()
})()
