// The hub dashboard: seeded from the JSON API, then updated live from /api/stream (server-sent events).
// Plain browser script, no build step; charts by uPlot (window.uPlot, served from /assets).
;(function () {
  'use strict'

  const MAX_POINTS = 900 // 15 minutes at one point a second
  const TIMELINE_MS = 15 * 60 * 1000
  const MAX_EVENTS = 1000
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
    $('total-instances').replaceChildren(
      el('span', { class: 'state-alive' }, `${t.instances.alive} alive`),
      document.createTextNode(' · '),
      el('span', { class: t.instances.dead > 0 ? 'state-dead' : 'muted' }, `${t.instances.dead} dead`)
    )
    $('total-feed-rate').textContent = `${fmt(t.feedMessagesPerSecond)} msg/s`
    $('total-bridge-rate').textContent = `${fmt(t.bridgeMessagesPerSecond)} msg/s`
    $('total-lag').textContent = cluster.lag.error ? 'unavailable' : fmt(cluster.lag.total)
    const card = $('backpressure-card')
    card.dataset.hold = String(cluster.backpressure.hold)
    // Each worker pool holds back on its own; name the pools that do (`all` is the whole cluster).
    const holding = (cluster.backpressure.pools || []).filter((p) => p.hold && p.pool !== 'all')
    $('backpressure').textContent = !cluster.backpressure.hold
      ? 'off'
      : holding.length
        ? `ACTIVE in ${holding.map((p) => `pool ${p.pool}: ${p.reason}`).join('; ')}`
        : `ACTIVE: ${cluster.backpressure.reason}`
    const tables = Object.entries(cluster.tables)
    $('tables').replaceChildren(
      ...(tables.length
        ? tables.flatMap(([name, n], k) => [
            ...(k > 0 ? [document.createTextNode(' · ')] : []),
            el('span', { class: 'table-rows', 'data-table': name }, `${name} ${fmt(n)}`)
          ])
        : [document.createTextNode('–')])
    )
  }

  function renderInstances(instances) {
    const body = $('instances').querySelector('tbody')
    body.replaceChildren(
      ...instances.map((i) => {
        const hb = i.lastHeartbeat
        const alive = i.state === 'alive'
        const live = (text) => (alive ? text : '–') // a dead instance's last figures are not current
        const row = el('tr', { 'data-instance': i.instanceId, 'data-state': i.state, 'data-role': i.role })
        const byType = Object.entries(i.byType)
          .filter(([, rate]) => rate > 0)
          .map(([type, rate]) => `${type} ${fmt(rate)}`)
          .join(', ')
        const cells = [
          el('td', {}, i.instanceId),
          el('td', {}, i.role),
          // Bridges that report no pool consume every type: the pool `all`.
          el('td', { class: 'pool' }, i.role === 'bridge' ? (hb.pool ? hb.pool.name : 'all') : '–'),
          el(
            'td',
            {
              class: `state state-${i.state}${alive && hb.ready?.ready === false ? ' not-ready' : ''}`,
              title: hb.ready?.reason ?? ''
            },
            !alive
              ? '✕ dead'
              : hb.ready?.ready === false
                ? `● alive, NOT READY: ${hb.ready.reason ?? '?'}`
                : '● alive'
          ),
          el('td', { class: 'num' }, live(fmt(i.messagesPerSecond))),
          el('td', {}, byType || '–'),
          el(
            'td',
            { class: 'num' },
            live(
              i.role === 'bridge'
                ? `${fmt(hb.buffer.messages)} / ${fmt(hb.buffer.capacity)}`
                : `${fmt(hb.buffer.messages)}${hb.feed?.spooled ? ` + ${fmt(hb.feed.spooled)} on disk` : ''}`
            )
          ),
          el('td', { class: 'num' }, i.role === 'bridge' ? live(fmt(hb.insertLatencyMs.mean)) : '–'),
          el(
            'td',
            { class: alive && hb.pressure.effective === 'paused' ? 'pressure-paused' : '' },
            live(hb.pressure.effective)
          ),
          el(
            'td',
            { class: 'partitions' },
            live(
              i.role === 'bridge'
                ? // A bridge reading NATS (--source nats|both) has no partitions there: show what it read from NATS.
                  [
                    summarizePartitions(hb.partitions),
                    hb.natsMessages === undefined ? '' : `NATS ${fmt(hb.natsMessages)} msgs`
                  ]
                    .filter(Boolean)
                    .join(' · ') || '(none)'
                : hb.feed
                  ? `${hb.feed.exchange} ${hb.feed.connected ? 'connected' : 'disconnected'}${hb.feed.dropped ? `, ${fmt(hb.feed.dropped)} DROPPED (spool full)` : ''}${hb.feed.backfilled ? `, ${fmt(hb.feed.backfilled)} backfilled` : ''}${hb.feed.unfilledTrades ? `, GAP: ${fmt(hb.feed.unfilledTrades)} trades missing` : ''}`
                  : '–'
            )
          ),
          el('td', {}, ago(i.lastSeen))
        ]
        row.append(...cells)
        return row
      })
    )
  }

  function renderLag(cluster, instances) {
    const body = $('lag').querySelector('tbody')
    // Owners come from the hub's last lag poll (every 2 s); an owner that died since is shown as such.
    const alive = new Set(instances.filter((i) => i.state === 'alive').map((i) => i.instanceId))
    // Topics nothing was ever written to (e.g. no quotes from this exchange) are summarised, not listed.
    const written = new Set(cluster.lag.partitions.filter((p) => p.end > 0).map((p) => p.topic))
    const shown = cluster.lag.partitions.filter((p) => written.has(p.topic))
    const hidden = [...new Set(cluster.lag.partitions.map((p) => p.topic))].filter(
      (topic) => !written.has(topic)
    )
    $('lag-hidden').textContent = hidden.length ? `empty topics not listed: ${hidden.join(', ')}` : ''
    // One consumer group per worker pool: their totals above the table.
    const pools = cluster.lag.pools || []
    $('lag-pools').textContent =
      pools.length > 1 || pools.some((p) => p.pool !== 'all')
        ? pools.map((p) => `pool ${p.pool} (group ${p.group}): ${fmt(p.lag)}`).join(' · ')
        : ''
    const max = Math.max(1, ...shown.map((p) => p.lag))
    body.replaceChildren(
      ...shown.map((p) => {
        const bar = el('span', { class: 'bar', style: `width:${Math.round((p.lag / max) * 80)}px` })
        const lagCell = el('td', { class: 'num' })
        lagCell.append(bar, document.createTextNode(fmt(p.lag)))
        const pool = p.pool || 'all'
        const row = el('tr', { 'data-partition': `${p.topic}:${p.partition}`, 'data-pool': pool })
        row.append(
          el('td', {}, pool),
          el('td', {}, p.topic),
          el('td', { class: 'num' }, String(p.partition)),
          el('td', { class: 'num' }, p.committed < 0 ? '–' : fmt(p.committed)),
          el('td', { class: 'num' }, fmt(p.end)),
          lagCell,
          p.owner && !alive.has(p.owner)
            ? el('td', { class: 'state-dead' }, `${p.owner} (dead)`)
            : el('td', {}, p.owner || '–')
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

  /** "-90 s", "-4 min": how long before now a timeline tick is. */
  function before(ms) {
    if (ms <= 0) return 'now'
    return ms < 120_000 ? `-${Math.round(ms / 1000)} s` : `-${Math.round(ms / 60_000)} min`
  }

  function renderTimeline(cluster) {
    const svg = $('timeline')
    const width = svg.clientWidth || 800
    const now = Date.now()
    // Since the hub started (at least a minute), at most the last 15 minutes.
    const span = Math.min(TIMELINE_MS, Math.max(60_000, now - cluster.hub.startedAt))
    const start = now - span
    const x = (t) => Math.max(0, ((t - start) / span) * width)
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
    for (let tick = 0; tick <= 4; tick++) {
      const label = shape('text', {
        x: Math.min(width - 40, (tick / 4) * width + 2),
        y: 66,
        fill: '#8a96a3',
        'font-size': 11
      })
      label.textContent = before(span - (tick / 4) * span)
      nodes.push(label)
    }
    svg.replaceChildren(...nodes)
  }

  function render(cluster, instances) {
    state.instances = instances
    renderTotals(cluster)
    renderInstances(instances)
    renderLag(cluster, instances)
    renderEvents()
    renderTimeline(cluster)
    renderCharts()
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`
  }

  // ---- data flow ------------------------------------------------------------------------------------

  const eventKey = (e) => `${e.at}|${e.kind}|${e.instanceId}|${e.detail}`

  /** Adds events in time order, each once (the stream and /api/events can both deliver one). */
  function addEvents(events) {
    const known = new Set(state.events.map(eventKey))
    const fresh = events.filter((e) => !known.has(eventKey(e)))
    if (fresh.length === 0) return
    state.events.push(...fresh)
    state.events.sort((a, b) => a.at - b.at)
    if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS)
  }

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
    source.addEventListener('open', () => {
      setConnection('live', 'live')
      // Events between the first load (or a dropped connection) and this stream would be missed otherwise.
      const last = state.events[state.events.length - 1]
      getJson(`/api/events?since=${last ? last.at : 0}`)
        .then(addEvents)
        .catch(() => {})
    })
    source.addEventListener('update', (message) => {
      const update = JSON.parse(message.data)
      addEvents(update.events)
      pushPoint(update.at, update.instances)
      render(update.cluster, update.instances)
    })
    source.addEventListener('error', () => {
      setConnection('disconnected — retrying', 'disconnected')
      // EventSource retries by itself (its 'open' then catches up on events); if it gave up, start over.
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
      addEvents(events)
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
