#!/usr/bin/env bash
# Generates the media files the Media tests and `merclip bench --stage media` use, into OUTDIR.
#
#   ops/make-test-media.sh OUTDIR
#
# Idempotent: a file that already exists is kept (delete OUTDIR to regenerate). Needs the
# ffmpeg command-line tool (libx264, libvpx-vp9, libopus, libmp3lame, libvorbis; libx265 for hevc.mp4,
# left out without it) and espeak-ng.
#
# The index videos (320x240, 25 fps, 4 s = 100 frames; sparse.mp4 1 fps) encode their own frame number n in
# 8 big blocks (4 columns x 2 rows of 50x50 px, top-left corner at x=60, y=70, bit b = row*4+col
# of n, white (235) = 1, black (16) = 0) on a mid-grey (128) background, robust to compression.
set -euo pipefail

out=${1:?usage: make-test-media.sh OUTDIR}
mkdir -p "$out"
cd "$out"

ff() { ffmpeg -hide_banner -nostdin -loglevel error -y "$@"; }

# Runs "$@" to produce $target via a temporary name, so an interrupted run never leaves a half file.
make() {
    local target=$1; shift
    [[ -s $target ]] && return 0
    local tmp=".tmp.$target"
    "$@" "$tmp"
    mv -f "$tmp" "$target"
}

index_video="color=c=gray:s=320x240:r=25:d=4,format=gray,geq=lum='if(between(X,60,259)*between(Y,70,169),if(mod(floor(N/pow(2,floor((X-60)/50)+4*floor((Y-70)/50))),2),235,16),128)'"
tone="sine=frequency=440:sample_rate=44100:duration=4"

cat > cues.srt <<'EOF'
1
00:00:00,500 --> 00:00:01,500
hello from the first cue

2
00:00:02,000 --> 00:00:03,000
<i>second</i> cue

3
00:00:03,200 --> 00:00:03,900
third cue
EOF

# Index video: MP4 H.264 + AAC + mov_text subtitles.
make index.mp4 ff -f lavfi -i "$index_video" -f lavfi -i "$tone" -i cues.srt \
    -map 0:v -map 1:a -map 2:s -c:v libx264 -preset veryfast -g 25 -pix_fmt yuv420p \
    -c:a aac -b:a 64k -c:s mov_text -metadata:s:s:0 language=eng -movflags +faststart -f mp4
# Sparse: the same pattern at 1 frame per second (4 frames), and a single-frame video.
make sparse.mp4 ff -f lavfi -i "${index_video/r=25/r=1}" -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4
make oneframe.mp4 ff -f lavfi -i "$index_video" -frames:v 1 -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4
# H.264 with B-pyramid (B-frames used as references) and 3 reference frames, 2 s GOPs without scene cuts.
make bpyramid.mp4 ff -f lavfi -i "$index_video" -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    -x264-params "bframes=3:b-pyramid=normal:b-adapt=0:ref=3:keyint=50:scenecut=0" -f mp4
# HEVC (x265: open GOPs with CRA pictures, B-frames and B-references), when ffmpeg has libx265.
if ffmpeg -hide_banner -encoders 2>/dev/null | grep libx265 >/dev/null; then
    make hevc.mp4 ff -f lavfi -i "$index_video" -c:v libx265 -preset veryfast -pix_fmt yuv420p -tag:v hvc1 \
        -x265-params "log-level=error:keyint=50:min-keyint=50:scenecut=0:bframes=4:b-pyramid=1" -f mp4
fi
# WebM VP9 + Opus.
make index.webm ff -f lavfi -i "$index_video" -f lavfi -i "$tone" \
    -map 0:v -map 1:a -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k -g 25 -pix_fmt yuv420p \
    -c:a libopus -b:a 48k -f webm
# MKV H.264 + AAC + SubRip subtitles.
make index.mkv ff -f lavfi -i "$index_video" -f lavfi -i "$tone" -i cues.srt \
    -map 0:v -map 1:a -map 2:s -c:v libx264 -preset veryfast -g 25 -pix_fmt yuv420p \
    -c:a aac -b:a 64k -c:s srt -f matroska
# MKV with ASS subtitles (markup to strip).
make ass.mkv ff -f lavfi -i "$index_video" -i cues.srt \
    -map 0:v -map 1:s -c:v libx264 -preset veryfast -g 25 -pix_fmt yuv420p -c:s ass -f matroska
# Video only, no subtitles, with sidecar subtitle files of the same basename.
make sidecar_srt.mp4 ff -i index.mp4 -map 0:v -map 0:a -c copy -f mp4
cp -f cues.srt sidecar_srt.srt
make sidecar_vtt.mp4 ff -i index.mp4 -map 0:v -map 0:a -c copy -f mp4
cat > sidecar_vtt.vtt <<'EOF'
WEBVTT

00:00.500 --> 00:01.500
vtt says hello

00:02.000 --> 00:03.000 align:start
<v Speaker>vtt second</v> cue
EOF

# Audio-only files: 3 s, two tones, various rates and channel counts.
audio="sine=frequency=440:sample_rate=44100:duration=3"
make tone.wav ff -f lavfi -i "$audio" -ac 2 -c:a pcm_s16le -f wav
make tone.mp3 ff -f lavfi -i "$audio" -ac 2 -c:a libmp3lame -b:a 96k -f mp3
make tone.flac ff -f lavfi -i "$audio" -ar 48000 -ac 1 -c:a flac -f flac
make tone.ogg ff -f lavfi -i "$audio" -ar 22050 -ac 1 -c:a libvorbis -f ogg
# Speech, 16 kHz mono (espeak-ng writes 22.05 kHz).
if [[ ! -s speech.wav ]]; then
    espeak-ng -w .tmp.speech22k.wav "I am so happy to see you today. This is wonderful news."
    ff -i .tmp.speech22k.wav -ar 16000 -ac 1 -c:a pcm_s16le -f wav .tmp.speech.wav
    rm -f .tmp.speech22k.wav
    mv -f .tmp.speech.wav speech.wav
fi

# Call-centre audio: 10 s of the speech (looped), mono 16-bit WAV at 8 and 16 kHz (bench --stage pipeline).
make call8k.wav ff -stream_loop 3 -i speech.wav -t 10 -ar 8000 -ac 1 -c:a pcm_s16le -f wav
make call16k.wav ff -stream_loop 3 -i speech.wav -t 10 -ar 16000 -ac 1 -c:a pcm_s16le -f wav

# Rotated: source top half white, bottom half black; display matrix says 90 degrees
# counter-clockwise (what `-metadata:s:v rotate=90` writes with FFmpeg 5.1), so FFmpeg shows
# the white half on the left of a 240x320 portrait picture.
make .unrotated.mp4 ff -f lavfi -i "color=c=black:s=320x240:r=25:d=1,format=gray,geq=lum='if(lt(Y,120),235,16)'" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4
make rotated.mp4 ff -i .unrotated.mp4 -c copy -metadata:s:v:0 rotate=90 -f mp4

# Bad inputs.
# Truncated: the first 40% of a faststart MP4 (header complete, media data cut off).
if [[ ! -s truncated.mp4 ]]; then
    size=$(stat -c %s index.mp4)
    head -c $((size * 4 / 10)) index.mp4 > .tmp.truncated.mp4
    mv -f .tmp.truncated.mp4 truncated.mp4
fi
# Corrupt: text, not media.
if [[ ! -s corrupt.mp4 ]]; then
    for _ in $(seq 1 400); do echo "This is not a media file."; done > .tmp.corrupt.mp4
    mv -f .tmp.corrupt.mp4 corrupt.mp4
fi
# No usable stream: a Matroska file holding only a subtitle track.
make nostreams.mkv ff -i cues.srt -c:s srt -f matroska
# Unsupported codec: an AVI whose video fourcc ("ABCD") no decoder knows.
make unsupported.avi ff -f lavfi -i "testsrc=s=64x48:r=5:d=1" -c:v mpeg4 -vtag ABCD -strict unofficial -f avi
# Big picture: 4096x2304 H.264 (over a 1920x1080-sized resolution limit).
make big.mp4 ff -f lavfi -i "testsrc2=s=4096x2304:r=5:d=0.4" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -f mp4

# Benchmark: 10 s 1280x720 25 fps H.264 (2 s GOP) + AAC stereo 48 kHz.
make bench720.mp4 ff -f lavfi -i "testsrc2=s=1280x720:r=25:d=10" \
    -f lavfi -i "sine=frequency=300:sample_rate=48000:duration=10" \
    -map 0:v -map 1:a -c:v libx264 -preset veryfast -crf 23 -g 50 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 -movflags +faststart -f mp4

# The benchmark video shown turned (display matrix 90 and 180 degrees): conversions of cropped source columns.
make rotated720.mp4 ff -i bench720.mp4 -map 0:v -t 4 -c copy -metadata:s:v:0 rotate=90 -f mp4
make rotated720_180.mp4 ff -i bench720.mp4 -map 0:v -t 4 -c copy -metadata:s:v:0 rotate=180 -f mp4

# The same at 640x360 (a low ABR rendition): MERCLIP_BENCH_MEDIA=OUTDIR/bench360.mp4 merclip bench --stage media
make bench360.mp4 ff -f lavfi -i "testsrc2=s=640x360:r=25:d=10" \
    -f lavfi -i "sine=frequency=300:sample_rate=48000:duration=10" \
    -map 0:v -map 1:a -c:v libx264 -preset veryfast -crf 23 -g 50 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 -movflags +faststart -f mp4

echo "test media ready in $out"
