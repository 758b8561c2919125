#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, beside the broker on 5672 and without touching it,
# for the scale-out bench (docs/performance.md): the local equivalent of deploy/multi-node's cluster.
# Passerelle declares quorum queues, so every queue gets a replica on each node and a publish is
# confirmed once two of the three have it on disk.
#
#   scripts/bench/rabbitmq-cluster.sh start    nodes bench1..3@localhost on 127.0.0.1:5681..5683
#   scripts/bench/rabbitmq-cluster.sh stop     stops them and deletes their data
#
# Run as root (Debian's rabbitmq-server switches to the rabbitmq user, whose Erlang cookie every
# node shares). The nodes keep their data under $BENCH_CLUSTER_DIR (default /tmp/passerelle-bench-cluster).
set -euo pipefail

dir=${BENCH_CLUSTER_DIR:-/tmp/passerelle-bench-cluster}
nodes=(bench1 bench2 bench3)
ports=(5681 5682 5683)

start() {
  if [ -e "$dir" ]; then
    echo "rabbitmq-cluster: $dir exists: a cluster may be running. Run '$0 stop' first." >&2
    exit 1
  fi
  for i in 0 1 2; do
    local node=${nodes[$i]} port=${ports[$i]}
    mkdir -p "$dir/$node"
    printf 'listeners.tcp.local = 127.0.0.1:%s\n' "$port" >"$dir/$node/rabbitmq.conf"
    # No plugin: the management listener of the broker on 5672 would take the same port.
    printf '[].\n' >"$dir/$node/enabled_plugins"
  done
  chown -R rabbitmq:rabbitmq "$dir"
  for i in 0 1 2; do
    local node=${nodes[$i]} port=${ports[$i]}
    RABBITMQ_NODENAME="$node@localhost" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT=$((port + 20000)) \
      RABBITMQ_CONFIG_FILE="$dir/$node/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/$node/enabled_plugins" \
      RABBITMQ_MNESIA_BASE="$dir/$node/mnesia" RABBITMQ_LOG_BASE="$dir/$node/log" RABBITMQ_PID_FILE="$dir/$node/pid" \
      rabbitmq-server -detached
  done
  # -detached returns before the node registers: wait for its pid file, then for the node to boot.
  for node in "${nodes[@]}"; do
    rabbitmqctl -q -n "$node@localhost" wait "$dir/$node/pid" --timeout 120
  done
  for node in bench2 bench3; do
    rabbitmqctl -q -n "$node@localhost" stop_app
    rabbitmqctl -q -n "$node@localhost" join_cluster bench1@localhost
    rabbitmqctl -q -n "$node@localhost" start_app
  done
  rabbitmqctl -q -n bench1@localhost await_online_nodes 3 --timeout 120
  echo "rabbitmq-cluster: bench1..3@localhost running, one cluster; use"
  echo "  npm run bench -- --amqp-url amqp://guest:guest@127.0.0.1:5681 --broker-nodes bench1@localhost,bench2@localhost,bench3@localhost ..."
}

stop() {
  for node in "${nodes[@]}"; do
    rabbitmqctl -q -n "$node@localhost" stop 2>/dev/null || echo "rabbitmq-cluster: $node@localhost was not running"
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
