#!/usr/bin/env bash
# Makes the demo's sample media in OUTDIR: a call recording (espeak-ng speech, WAV), a video
# with speech, a test picture and mov_text subtitles (MP4), and a silent clip (WebM).
#   ops/make-sample-media.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-sample-media.sh OUTDIR}
mkdir -p "$out"
cd "$out"
ff() { ffmpeg -hide_banner -nostdin -loglevel error -y "$@"; }

if [ ! -s call.wav ]; then
  espeak-ng -s 150 -w .speech1.wav "Hello, thank you for calling. I am really happy you fixed my problem so quickly. This is wonderful news."
  ff -i .speech1.wav -ar 16000 -ac 1 call.wav
  rm -f .speech1.wav
fi
if [ ! -s interview.mp4 ]; then
  espeak-ng -s 140 -w .speech2.wav "I am so angry about the delay. Nobody told us anything and I am very disappointed."
  cat > .subs.srt <<'SRT'
1
00:00:00,000 --> 00:00:03,000
I am so angry about the delay.

2
00:00:03,000 --> 00:00:06,000
Nobody told us anything and I am very disappointed.
SRT
  ff -f lavfi -i "testsrc2=size=320x240:rate=25:duration=6" -i .speech2.wav -i .subs.srt \
     -map 0:v -map 1:a -map 2:s -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -c:s mov_text \
     -af apad -t 6 interview.mp4
  rm -f .speech2.wav .subs.srt
fi
if [ ! -s silent.webm ]; then
  ff -f lavfi -i "smptebars=size=320x240:rate=25:duration=4" -c:v libvpx-vp9 -deadline realtime -b:v 200k silent.webm
fi
ls "$out"
