# The seed's make targets, mapped onto the tickbridge CLI (every target is one command; see `tickbridge --help`).
# Variables: N (bridges), SYMBOL, LIMIT, TO (offset reset target), ROLE (logs).
TB := npx --no-install tickbridge
N ?= 3
SYMBOL ?= BTCUSDT
LIMIT ?= 20
TO ?= latest
ROLE ?=

.PHONY: help dev-setup build start-pipeline start stop restart status monitor logs logs-trades logs-hub kafka-lag health \
	clickhouse-query-trades clickhouse-query-depth clickhouse-query-quotes clickhouse-query-candles clickhouse-cli \
	clickhouse-reset reset-offsets scale rollback validate test lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

dev-setup: ## install dependencies and build
	npm ci && npm run build
build: ## compile TypeScript
	npm run build
start-pipeline: build ## start everything in order: stack, hub, simulator, feed, N bridges
	$(TB) start --bridges $(N)
start: start-pipeline
stop: ## stop the pipeline (the stack keeps running; `make clean` stops it too)
	$(TB) stop
restart: ## stop and start the pipeline
	$(TB) restart --bridges $(N)
status: ## every process: role, id, health, partitions
	$(TB) status
monitor: ## live view, refreshing in place
	$(TB) monitor
logs: ## recent logs of every role (ROLE=bridge|hub|feed|sim|bridge-2 to filter)
	$(TB) logs $(ROLE)
logs-trades: ## bridge logs (they write the trades)
	$(TB) logs bridge
logs-hub: ## hub logs
	$(TB) logs hub
kafka-lag: ## consumer lag per partition and its owner
	$(TB) lag
health: ## stack, hub and every instance; fails when unhealthy
	$(TB) health
clickhouse-query-trades: ## latest trades for SYMBOL
	$(TB) query trades --symbol $(SYMBOL) --limit $(LIMIT)
clickhouse-query-depth: ## latest depth snapshots for SYMBOL
	$(TB) query depth --symbol $(SYMBOL) --limit $(LIMIT)
clickhouse-query-quotes: ## latest quotes for SYMBOL
	$(TB) query quotes --symbol $(SYMBOL) --limit $(LIMIT)
clickhouse-query-candles: ## latest candles for SYMBOL
	$(TB) query candles --symbol $(SYMBOL) --limit $(LIMIT)
clickhouse-cli: ## ClickHouse client on the local stack
	clickhouse-client --port $${TICKBRIDGE_CLICKHOUSE_TCP_PORT:-9000}
clickhouse-reset: ## empty the market tables (asks first)
	$(TB) reset clickhouse
reset-offsets: ## move the bridge group's offsets (TO=earliest|latest|<ISO time>; bridges must be stopped)
	$(TB) reset offsets --to $(TO)
scale: ## run N bridges
	$(TB) scale $(N)
rollback: ## back to a single bridge
	$(TB) scale 1
validate: ## the scaling validation guide as automated checks
	$(TB) validate
test: ## the test suite (starts the local stack)
	npm test
lint: ## eslint and prettier
	npm run lint
clean: ## stop the pipeline and the local stack
	-$(TB) stop
	$(TB) stack down
