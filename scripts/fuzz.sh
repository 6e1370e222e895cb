#!/usr/bin/env bash
# Builds the libFuzzer targets (Sources/FuzzTargets) with AddressSanitizer and runs each for a time budget.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 seconds, every target)
#
# Each target starts from a scratch copy of its committed corpus (Fuzz/Corpus/<target>), so a run never
# grows the committed corpus; add an input there by hand when it is worth keeping (a fixed crash, say).
# Exits non-zero when any target crashes, printing the input that did it. Minimize one with
#   FUZZ_TARGET=TARGET .build-fuzz/release/engage-fuzz -minimize_crash=1 -max_total_time=60 INPUT
# and reproduce it without sanitizers:
#   swift run engage-fuzz TARGET path/to/crash-input
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
# FUZZ_SCRATCH lets a second checkout (a worktree) build beside another without sharing its build folder.
scratch="${FUZZ_SCRATCH:-.build-fuzz}"
# Optimized code runs several times more inputs per second; FUZZ_CONFIGURATION=debug builds faster.
configuration="${FUZZ_CONFIGURATION:-release}"
work="$scratch/runs"

swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
runtime=$(ls "$swift_bin"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -n 1)
[ -n "$runtime" ] || { echo "fuzz.sh: libFuzzer (libclang_rt.fuzzer_no_main) not found next to $swift_bin" >&2; exit 2; }

# Coverage instrumentation comes from the frontend flag; the driver's -sanitize=fuzzer would also link
# libFuzzer's own main, which SwiftPM's executable linking (main renamed to EngageFuzz_main) cannot take.
# So: ASan everywhere, coverage in every Swift module, and libFuzzer without main, called from ours.
build_start=$(date +%s)
nice -n 10 swift build -c "$configuration" --product engage-fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING \
    -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" || true
fuzzer="$scratch/$configuration/engage-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz.sh: the fuzzer build failed" >&2; exit 2; }
echo "fuzz.sh: sanitized build took $(( $(date +%s) - build_start )) s"

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <("$fuzzer" list); fi

failed=()
summary=()
for target in "${targets[@]}"; do
    [ -d "Fuzz/Corpus/$target" ] || { echo "fuzz.sh: no corpus Fuzz/Corpus/$target" >&2; exit 2; }
    rm -rf "${work:?}/$target"
    mkdir -p "$work/$target/corpus" "$work/$target/crashes"
    cp -R "Fuzz/Corpus/$target/." "$work/$target/corpus/"
    log="$work/$target/log"
    echo "fuzz.sh: $target for ${seconds} s"
    status=0
    # The Swift runtime's backtracer would take over libFuzzer's crash handling (and can hang): off.
    # malloc_context_size=0: ASan records no stack for each allocation and free. Those stacks were a quarter
    # to a third of the time of the allocation-heavy targets (recorder 1.6-1.8x faster without them, sdp
    # 1.4x; same inputs, same seed). A report still shows where the bad access happened; for where the
    # memory was allocated and freed, replay the saved input with ASAN_OPTIONS=detect_leaks=0 alone.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:malloc_context_size=0 \
        nice -n 10 "$fuzzer" "$target" "$work/$target/corpus" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$target/crashes/" >"$log" 2>&1 || status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    if [ -z "$executions" ]; then
        executions=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
    fi
    line="$target: ${executions:-?} executions in ${seconds} s"
    crash=$(ls "$work/$target/crashes/" 2>/dev/null | head -n 1)
    if [ "$status" -ne 0 ] || [ -n "$crash" ]; then
        line="$line, FAILED (exit $status)"
        [ -n "$crash" ] && line="$line, input $work/$target/crashes/$crash"
        failed+=("$target")
        grep -E "Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY" "$log" | head -n 5 || true
        echo "fuzz.sh: full log $log"
    fi
    echo "$line"
    summary+=("$line")
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: crashes in ${failed[*]}" >&2
    exit 1
fi
