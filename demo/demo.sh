#!/usr/bin/env bash
# The walkthrough: filled in as the agent's pieces land (see README "Status").
set -euo pipefail
echo "boundary-client-agent demo: the agent's processes are still being built; nothing to show yet."
echo "Built binaries in ${BCA_BIN:-.build/release}:"
ls "${BCA_BIN:-.build/release}" | grep -E '^boundary' || true
