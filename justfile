# envctl tasks. `just` lists them; `just test` is the whole suite (CI runs it),
# `just test-offline` is everything that needs no Docker Engine.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The envctl binary the demo runs (override to compare: `just envctl=docker-compose demo`).
default_envctl := justfile_directory() / "target/debug/envctl"
envctl := default_envctl

# The cargo features that turn on the real-engine tests.
docker_features := "envctl-executor/docker-tests,envctl-cli/docker-tests,envctl-ops/docker-tests,envctl-server/docker-tests"

# List the recipes
default:
    @just --list --unsorted

# Build the images the tests and the demo use, locally (nothing is pulled; see docs/images.md)
images: require-engine
    images/build.sh

# Check formatting
fmt:
    cargo fmt --all --check

# Run clippy on every crate and target, warnings denied
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Fail when a crate crosses its boundary: the parser or the planner depends on engine, async or CLI crates, or on anything beyond its list; a crate other than the executor names bollard
check-boundaries:
    #!/usr/bin/env bash
    set -euo pipefail
    status=0
    fail() {
        echo "error: $*" >&2
        status=1
    }
    check() {
        local crate="$1"
        shift
        local tree
        tree="$(cargo tree --locked -p "$crate" -e normal --prefix none)"
        for forbidden in "$@"; do
            if grep -qE "^$forbidden v" <<<"$tree"; then
                fail "\`$crate\` depends on \`$forbidden\` (cargo tree -p $crate -e normal -i $forbidden shows the path)"
            fi
        done
    }
    # The crate's direct dependencies are all in the list that follows it.
    only() {
        local crate="$1"
        shift
        local direct
        direct="$(cargo tree --locked -p "$crate" -e normal --prefix none --depth 1 | tail -n +2 | sed 's/ v.*//' | sort -u)"
        for dependency in $direct; do
            if ! printf '%s\n' "$@" | grep -qxF "$dependency"; then
                fail "\`$crate\` depends on \`$dependency\`, which docs/ARCHITECTURE.md does not allow it"
            fi
        done
    }
    check envctl-parser bollard tokio petgraph clap
    check envctl-planner bollard tokio clap
    only envctl-parser serde yaml_serde serde_json yaml-rust2 indexmap thiserror miette sha2
    only envctl-planner envctl-parser petgraph indexmap thiserror miette serde_json sha2 foldhash
    # The server calls the operations (and the parser, for its policy check), never
    # the executor: it reaches the engine only through envctl-ops.
    only envctl-server envctl-ops envctl-parser envctl-planner axum hyper hyper-util tower-http subtle lapin rustls tokio-rustls tokio tokio-util futures indexmap thiserror miette serde serde_json yaml_serde sha2
    # bollard is the executor's: no other crate depends on it, nor names one of its
    # types (`bollard::…`). envctl-bench is outside: its floor client must not share
    # envctl's code (docs/ARCHITECTURE.md).
    for manifest in crates/*/Cargo.toml; do
        crate="$(basename "$(dirname "$manifest")")"
        if [[ "$crate" == envctl-executor || "$crate" == envctl-bench ]]; then
            continue
        fi
        if grep -qE '^[[:space:]]*bollard[[:space:]]*=' "$manifest"; then
            fail "\`$crate\` depends on \`bollard\` ($manifest): only envctl-executor talks to the engine"
        fi
        if named="$(grep -rnE 'bollard::' "crates/$crate" --include='*.rs')"; then
            fail "\`$crate\` names bollard types, which only envctl-executor may:"
            echo "$named" | sed 's/^/  /' >&2
        fi
    done
    if [[ "$status" -eq 0 ]]; then
        echo "boundaries ok: envctl-parser has no bollard/tokio/petgraph/clap, envctl-planner has no bollard/tokio/clap, both depend only on their lists, and only envctl-executor names bollard"
    fi
    exit "$status"

# Tiers 1-3 (unit, snapshot, CLI): everything that needs no Docker Engine
test-offline: fmt lint check-boundaries
    cargo test --workspace --locked

# The whole suite: images, fmt, lint, boundaries, every test including the real-engine ones, and docker-compose 1.29.2's own acceptance suite
test: require-engine require-registry images fmt lint check-boundaries
    # The stack tests make their own Swarm cluster of two engines in network
    # namespaces (fixtures/swarm/cluster.sh, docs/swarm.md); it is removed after.
    trap 'fixtures/swarm/cluster.sh down' EXIT; cargo test --workspace --locked --features {{ docker_features }}
    # The envctl binary the tests above built (a build without their features would
    # compile the executor and the CLI again).
    fixtures/compose-acceptance/run.sh

# docker-compose 1.29.2's acceptance suite with envctl as `docker-compose` (fixtures/compose-acceptance/README.md)
acceptance: require-engine images
    cargo build --locked -p envctl-cli
    fixtures/compose-acceptance/run.sh

# The stack tests' Swarm cluster: `just swarm up|down|status` (fixtures/swarm/cluster.sh)
swarm command="up":
    fixtures/swarm/cluster.sh {{ command }}

# Run the demo platform (fixtures/demo) with envctl and fetch its front page
demo: images
    #!/usr/bin/env bash
    set -euo pipefail
    if [[ "{{ envctl }}" == "{{ default_envctl }}" ]]; then
        cargo build -p envctl-cli
    fi
    cd fixtures/demo
    echo "+ envctl up -d"
    {{ envctl }} up -d
    echo "+ envctl ps"
    {{ envctl }} ps
    # The published port: the shell's FRONT_PORT wins over .env, as in compose.
    port="${FRONT_PORT:-$(sed -n 's/^FRONT_PORT=//p' .env)}"
    url="http://localhost:$port/"
    echo "+ fetching $url"
    for attempt in $(seq 1 20); do
        if page="$(curl -fsS --max-time 10 "$url" 2>/dev/null)"; then
            echo
            echo "$page"
            echo
            echo "The demo is running at $url"
            echo "Bring it down with:  cd fixtures/demo && ../../target/debug/envctl down -v"
            exit 0
        fi
        sleep 0.5
    done
    echo "error: no answer from $url after 20 attempts" >&2
    echo "Bring it down with:  cd fixtures/demo && ../../target/debug/envctl down -v" >&2
    exit 1

# Benchmarks: envctl against docker-compose 1.29.2 and the engine floor (target/bench/report.md), then the parser and planner criterion benches (docs/benchmarks.md)
bench: require-engine images
    cargo build --release --locked -p envctl-cli -p envctl-bench
    target/release/envctl-bench --trace --tls
    # envctl stack deploy against docker stack deploy --detach=false (target/bench/swarm.md)
    target/release/envctl-bench --swarm
    # envctl serve: the API against `envctl up`, GET latency under 200 clients, 20 at once (docs/serve.md)
    cargo run --release --locked -p envctl-server --example bench -- target/release/envctl target/bench/serve.md
    cargo bench --locked -p envctl-parser --bench load -- --warm-up-time 1 --measurement-time 3
    cargo bench --locked -p envctl-planner --bench plan -- --warm-up-time 1 --measurement-time 3
    @echo "report: target/bench/report.md, target/bench/swarm.md, target/bench/serve.md"

# A short benchmark run (N = 1 and 10) to check the harness; its figures are not the README's
bench-quick: require-engine images
    cargo build --release --locked -p envctl-cli -p envctl-bench
    target/release/envctl-bench --quick --trace --tls

# Review pending insta snapshots (needs cargo-insta)
snapshots:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! cargo insta --version >/dev/null 2>&1; then
        echo "error: cargo-insta is not installed" >&2
        echo "help: cargo install --locked cargo-insta" >&2
        exit 1
    fi
    cargo insta review

# Fail loudly when no Docker Engine answers (the engine tests never skip)
[private]
require-engine:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! output="$(docker info --format '{{{{.ServerVersion}}' 2>&1)"; then
        echo "error: no Docker Engine answers (\`docker info\` failed):" >&2
        echo "$output" | sed '/^$/d; s/^/  /' >&2
        echo "help: start dockerd, or point DOCKER_HOST at an engine (eval \$(docker-machine env NAME));" >&2
        echo "      without an engine run \`just test-offline\`" >&2
        exit 1
    fi
    echo "Docker Engine $output at ${DOCKER_HOST:-the local socket}"

# Write the man page and the shell completions to target/man and target/completions
man:
    cargo build --locked -p envctl-cli
    mkdir -p target/man target/completions
    target/debug/envctl man > target/man/envctl.1
    for shell in bash zsh fish; do target/debug/envctl completions "$shell" > "target/completions/envctl.$shell"; done
    @echo "target/man/envctl.1 (man -l target/man/envctl.1), target/completions/envctl.{bash,zsh,fish}"

# The pull tests start Debian's `docker-registry` on 127.0.0.1 (`.ci/run` installs it)
[private]
require-registry:
    @command -v docker-registry >/dev/null || { echo "error: \`docker-registry\` is not installed (the pull tests need it)" >&2; echo "help: apt-get install docker-registry" >&2; exit 1; }

# Fuzz the loader and the planner for `seconds` (docs/reliability.md; needs cargo-fuzz and nightly)
fuzz seconds="1800":
    #!/usr/bin/env bash
    set -euo pipefail
    cd fuzz
    mkdir -p corpus/load_plan
    find ../fixtures -name '*.yml' -size -8k | while read -r f; do cp "$f" "corpus/load_plan/$(tr / _ <<<"$f")"; done
    nice -n 19 cargo +nightly fuzz run -s none load_plan -- -max_total_time={{ seconds }} -max_len=4096 -timeout=10 -print_final_stats=1
    # Structured hostile input (deep nesting of each kind, long lines, rings), #19.
    mkdir -p corpus/structures
    nice -n 19 cargo +nightly fuzz run -s none structures -- -max_total_time={{ seconds }} -max_len=256 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1
