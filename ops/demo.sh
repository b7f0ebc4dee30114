#!/usr/bin/env bash
# The main job, end to end on this machine:
#   1. install what is missing, build, start Postgres and the dev Kafka broker, migrate;
#   2. make a tiny random model (UNTRAINED: the scores only show the plumbing) and sample media;
#   3. score the files directly (`merclip score`, no services);
#   4. ingest them as 2 s segments, run a worker until every segment is scored, stop it (SIGTERM);
#   5. print the results from Postgres.
# The services keep running afterwards (ops/services.sh stop).
set -euo pipefail
cd "$(dirname "$0")/.."
ops/setup.sh
swift build
bin=.build/debug/merclip
ops/services.sh start
eval "$(ops/services.sh env)"
$bin doctor --brokers "$MERCLIP_BROKERS" --postgres "$MERCLIP_POSTGRES_URL" | tail -3
$bin db migrate

model=.services/demo-model
[ -f $model/config.json ] || $bin model init --random --preset tiny --out $model --name merclip-demo --version demo-1
$bin model inspect $model | head -12
media=$PWD/.services/demo-media
ops/make-sample-media.sh "$media" >/dev/null

echo; echo "== merclip score (files, no services)"
$bin score --model $model "$media/call.wav" "$media/interview.mp4" "$media/silent.webm"

echo; echo "== merclip ingest → Kafka"
run_id=$(date +%s)
$bin ingest --topic segments --stream-id "call-$run_id" --segment-seconds 2 "$media/call.wav" > .services/ingest.out
$bin ingest --topic segments --stream-id "interview-$run_id" --segment-seconds 2 "$media/interview.mp4" >> .services/ingest.out
$bin ingest --topic segments --stream-id "silent-$run_id" --segment-seconds 2 "$media/silent.webm" >> .services/ingest.out
cat .services/ingest.out
expected=$(wc -l < .services/ingest.out)

echo; echo "== merclip worker (until $expected segments are scored)"
$bin worker --group demo --model $model --media-root "$media" --metrics-port 0 --batch-size 4 2> .services/worker.log &
worker=$!
count() { psql "$MERCLIP_POSTGRES_URL" -tAc "SELECT count(DISTINCT segment_id) FROM results WHERE stream_id LIKE '%-$run_id'"; }
for _ in $(seq 240); do
  [ "$(count)" -ge "$expected" ] && break
  kill -0 $worker 2>/dev/null || { cat .services/worker.log; echo "demo: the worker died" >&2; exit 1; }
  sleep 0.5
done
kill -TERM $worker
wait $worker
tail -4 .services/worker.log

echo; echo "== results in Postgres"
psql "$MERCLIP_POSTGRES_URL" -c "
  SELECT stream_id, segment_id, task, predicted, modalities, scores
  FROM results WHERE stream_id LIKE '%-$run_id' ORDER BY stream_id, start_ms, task"
[ "$(count)" -ge "$expected" ] || { echo "demo: only $(count) of $expected segments scored" >&2; exit 1; }
echo "demo: $expected segments scored by model demo-1 (untrained: random weights)"
