#!/bin/bash
# Compares core at COMMIT (A) with core as it is in this work tree (B), in one JVM: see AbComparison.
#   benchmarks/ab.sh COMMIT [SECONDS] [STEPS]     e.g. benchmarks/ab.sh b69eb6f 20 20
# Needs the build done once (./mvnw -q install -DskipTests); compiles COMMIT's core in a worktree.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
commit=$1; seconds=${2:-20}; steps=${3:-20}
old=$(mktemp -d)/core-$commit
git -C "$here" worktree add -f "$old" "$commit" >/dev/null
trap 'git -C "$here" worktree remove --force "$old"' EXIT
(cd "$old" && "$here/mvnw" -q -o compile -pl core)
(cd "$here" && ./mvnw -q -o compile -pl core && ./mvnw -q -o test-compile -pl benchmarks)
deps=$(cd "$here" && ./mvnw -q -o dependency:build-classpath -pl core -Dmdep.includeScope=runtime -Dmdep.outputFile=/dev/stdout)
tests="$here/benchmarks/target/test-classes"
quiet=$(mktemp --suffix=.xml)
echo '<configuration><root level="WARN"/></configuration>' > "$quiet"
java -Dlogback.configurationFile="$quiet" -cp "$tests" dev.runbook4j.benchmarks.ab.AbComparison \
  "$old/core/target/classes:$deps:$tests" "$here/core/target/classes:$deps:$tests" "$seconds" "$steps"
