# Sourced by run.sh and compare.sh. bench_seconds SCRIPT [SECONDS]: sets $secs, the measured window
# of every scenario (and of every anchor in compare.sh): whole seconds, default 10, capped at 22 so
# that every measurement stays within 30 s.
bench_seconds() {
    secs=${2:-10}
    if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
        echo "usage: bench/$1 [SECONDS]   (whole seconds, 1 to 22)" >&2
        exit 64
    fi
    if [ "$secs" -gt 22 ]; then
        echo "# SECONDS capped at 22 so that every scenario stays within 30 s" >&2
        secs=22
    fi
}
