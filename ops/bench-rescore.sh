#!/usr/bin/env bash
# Re-scoring cost, measured in one run on this machine:
#   replay  — N segments copied to a replay topic and scored again by a worker (media, encoders, decoders);
#   rescore — `merclip rescore` of the same N from the features the live worker stored (decoders, heads).
# Prints the CPU seconds of each, their ratio, and the largest score difference between the two; beside it,
# the difference between the replay and the live worker's scores (the same weights, both from media): how
# far two fp32 scorings of the same segments are apart when their batches are composed differently.
#   ops/bench-rescore.sh [--preset tiny|vit-b-32] [--segments N]     (defaults: vit-b-32, 200)
# Uses private services (its own Postgres port and folder) and removes them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=vit-b-32 n=200
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=$2; shift 2 ;;
    --segments) n=$2; shift 2 ;;
    *) echo "usage: ops/bench-rescore.sh [--preset tiny|vit-b-32] [--segments N]" >&2; exit 2 ;;
  esac
done
ops/setup.sh
swift build -c release >/dev/null
bin=$PWD/.build/release/merclip
export MERCLIP_BIN=$bin MERCLIP_SERVICES_DIR=$PWD/.services/bench-rescore-$$
for port in $(seq 55533 55632); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null || { export MERCLIP_PG_PORT=$port; break; }; done
work=$MERCLIP_SERVICES_DIR/work
trap 'ops/services.sh stop >/dev/null; rm -rf "$MERCLIP_SERVICES_DIR"' EXIT
ops/services.sh start >/dev/null
eval "$(ops/services.sh env)"
$bin db migrate >/dev/null
mkdir -p "$work"

# v1 scores live and stores features; v2 (same encoders, its own version) re-scores both ways.
$bin model init --random --preset "$preset" --out "$work/v1" --version v1 >/dev/null
for v in v2 v2-rescore; do
  cp -r "$work/v1" "$work/$v"
  sed -i "s/\"version\" *: *\"v1\"/\"version\": \"$v\"/" "$work/$v/config.json"
done
ops/make-sample-media.sh "$work/media" >/dev/null
media=$work/media/interview.mp4
i=0 produced=0
while [ "$produced" -lt "$n" ]; do
  $bin ingest --topic segments --stream-id "bench-$i" --segment-seconds 2 "$media" > "$work/ingest.out"
  produced=$((produced + $(wc -l < "$work/ingest.out"))); i=$((i + 1))
done
n=$produced
count() { psql "$MERCLIP_POSTGRES_URL" -tAc "SELECT count(DISTINCT segment_id) FROM results WHERE model_version = '$1'"; }
cpu() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
wait_for() {  # version, pid
  for _ in $(seq 7200); do
    [ "$(count "$1")" -ge "$n" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "bench-rescore: the $1 worker died" >&2; exit 1; }
    sleep 0.5
  done
  echo "bench-rescore: $1 did not score $n segments in an hour" >&2; exit 1
}
worker() {  # version, group, topic, extra...
  local v=$1 g=$2 t=$3; shift 3
  $bin worker --group "$g" --topic "$t" --model "$work/$v" --media-root "$work/media" --metrics-port 0 \
    --batch-size 8 "$@" 2> "$work/$v.log" &
}

worker v1 live segments --store-features
live=$!
wait_for v1 $live
kill -TERM $live; wait $live || true

$bin replay --source-topic segments --replay-topic segments-replay --since 0 --replay-id bench >/dev/null
worker v2 replay-v2 segments-replay
replay=$!
wait_for v2 $replay
replay_cpu=$(cpu $replay)
kill -TERM $replay; wait $replay || true

rescore_out=$($bin rescore --model "$work/v2-rescore" --since 0)
rescore_cpu=$(sed -n 's/.*(CPU \([0-9.]*\) s).*/\1/p' <<< "$rescore_out")
# Largest |score difference| over every label of the segments both versions scored: "segments, max".
diff_of() {
  psql "$MERCLIP_POSTGRES_URL" -tAc "
    SELECT count(DISTINCT a.segment_id), max(abs((a.scores ->> k)::float8 - (b.scores ->> k)::float8))
    FROM results a JOIN results b ON b.segment_id = a.segment_id AND b.task = a.task AND b.label_set = a.label_set
         AND a.model_version = '$1' AND b.model_version = '$2', jsonb_object_keys(a.scores) AS k"
}
diff=$(diff_of v2 v2-rescore)
floor=$(diff_of v1 v2)
live=$(diff_of v1 v2-rescore)

echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores;" \
     "isa: $(grep -o -w -E 'avx2|avx512f|avx512_bf16|avx512_vnni|amx_bf16|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "model: random $preset; $n segments of 2 s (320x240 video, speech, subtitles)"
printf '%-8s %12s\n' path "CPU s"
printf '%-8s %12s\n' replay "$replay_cpu" rescore "$rescore_cpu"
awk -v a="$replay_cpu" -v b="$rescore_cpu" 'BEGIN { printf "replay / rescore CPU: %.1fx\n", a / b }'
echo "segments compared, largest |score difference| (rescore vs replay): ${diff/|/, }"
echo "segments compared, largest |score difference| (replay vs the live scores, both from media): ${floor/|/, }"
echo "segments compared, largest |score difference| (rescore vs the live scores it re-used the features of): ${live/|/, }"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
