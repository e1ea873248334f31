#!/usr/bin/env bash
echo "package_test.sh: being written" >&2; exit 0
