#!/bin/sh
# Stand-in compiler for wrappers.test: prints its arguments on one line.
printf '%s\n' "$*"
