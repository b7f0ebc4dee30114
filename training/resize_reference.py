"""CLIP's frame preprocessing in PIL: the reference for Sources/Media/FrameConverter.swift.

CLIP (and the MER-CLIP vision branch, docs/model-format.md) resizes a PIL image with torchvision
Resize(224, BICUBIC), i.e. PIL Image.resize((w, h), Image.BICUBIC): cubic convolution a = -0.5 with
antialiasing (the filter support widens by the downscale factor). The short side becomes 224, the long
side int(224 * long / short); then CenterCrop(224) with offset round((side - 224) / 2). The fixtures keep
that 224x224 crop as uint8 RGB, [224, 224, 3] (HWC), before ToTensor / Normalize; the Swift test
normalises it with MediaPreprocessConfig's mean and std.

Fixtures (all single-frame videos, 25 fps, made with ffmpeg from lavfi sources):
  resize-landscape.mkv       640x360 RGB, PNG in Matroska (lossless: the decoded frame is exactly what PIL sees)
  resize-portrait.mkv        240x400 RGB, PNG in Matroska
  resize-<name>.npy          PIL's 224x224 crop of the lossless frame
  resize-<name>-h264.mp4     the same picture as H.264 yuv420p, BT.709 limited range (tagged)
  resize-<name>-h264.npy     PIL's crop of ffmpeg's full-resolution rgb24 conversion of the H.264 frame
                             (BT.709 limited range, bicubic chroma upsampling, accurate rounding)
  resize-rotated-h264.mp4    the portrait picture stored as 400x240, turned upright by its display matrix
  resize-rotated-h264.npy    PIL's crop of the upright (ffmpeg-autorotated) rgb24 frame

Usage (needs ffmpeg with libx264, numpy and pillow; deterministic for a given ffmpeg/x264/PIL):
  /opt/merclip-venv/bin/python training/resize_reference.py Tests/Fixtures/media
  /opt/merclip-venv/bin/python training/resize_reference.py --reference VIDEO OUT.npy   one video's crop
                                                     (a YUV video is read as BT.709 limited range, as the H.264 fixtures)
"""
import argparse
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

SIZE = 224

# Detailed smooth content (Mandelbrot) with sharp edges and text (testsrc2) inset; odd scale factors
# (360 -> 224 is 0.6222, 240 -> 224 is 0.9333) and both crop directions.
SOURCES = {
    "landscape": ("mandelbrot=size=640x360:rate=25[a];testsrc2=size=300x170:rate=25[b];"
                  "[a][b]overlay=x=310:y=120,drawbox=x=160:y=14:w=90:h=90:color=white:t=fill,"
                  "drawbox=x=185:y=39:w=41:h=41:color=red:t=fill[out]"),
    "portrait": ("testsrc2=size=240x400:rate=25[a];mandelbrot=size=200x180:rate=25[b];"
                 "[a][b]overlay=x=20:y=200,drawbox=x=10:y=10:w=7:h=380:color=yellow:t=fill[out]"),
}

FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


def run(args):
    subprocess.run(FFMPEG + args, check=True)


def decode_rgb(path, extra=()):
    """The first frame of `path` as uint8 [h, w, 3] RGB at full resolution, converted by ffmpeg (which turns
    the picture upright by its display matrix), passed losslessly as PNG."""
    png = subprocess.run(FFMPEG + ["-i", path, "-frames:v", "1", *extra, "-pix_fmt", "rgb24", "-c:v", "png",
                                   "-f", "image2pipe", "-"], check=True, capture_output=True).stdout
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGB", f"{path}: {img.mode}"
    return np.asarray(img)


def clip_crop(rgb):
    """torchvision Resize(SIZE, BICUBIC) + CenterCrop(SIZE) on a PIL image: uint8 [SIZE, SIZE, 3]."""
    img = Image.fromarray(rgb, "RGB")
    w, h = img.size
    if w <= h:
        nw, nh = SIZE, int(SIZE * h / w)
    else:
        nw, nh = int(SIZE * w / h), SIZE
    img = img.resize((nw, nh), Image.BICUBIC)
    left = int(round((nw - SIZE) / 2.0))
    top = int(round((nh - SIZE) / 2.0))
    out = np.asarray(img.crop((left, top, left + SIZE, top + SIZE)))
    assert out.shape == (SIZE, SIZE, 3) and out.dtype == np.uint8
    return out


def make_fixtures(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, graph in SOURCES.items():
        lossless = os.path.join(out_dir, f"resize-{name}.mkv")
        h264 = os.path.join(out_dir, f"resize-{name}-h264.mp4")
        run(["-f", "lavfi", "-i", graph.replace("[out]", ""), "-frames:v", "1", "-c:v", "png", "-pix_fmt", "rgb24",
             *BITEXACT, lossless])
        # The PNG frame decodes to rgb24 without any conversion: exactly the pixels PIL resizes.
        np.save(os.path.join(out_dir, f"resize-{name}.npy"), clip_crop(decode_rgb(lossless)))
        run(["-i", lossless, "-frames:v", "1", "-vf", "scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd",
             "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-threads", "1", "-pix_fmt", "yuv420p",
             "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
             *BITEXACT, h264])
        np.save(os.path.join(out_dir, f"resize-{name}-h264.npy"), clip_crop(decode_rgb(h264, H264_TO_RGB)))
    # The portrait picture stored turned a quarter clockwise (400x240), displayed upright through a display
    # matrix that turns it back (rotation=90 counter-clockwise in ffprobe's terms): the two resampling
    # passes must follow the displayed axes.
    rotated = os.path.join(out_dir, "resize-rotated-h264.mp4")
    with tempfile.TemporaryDirectory() as tmp:
        stored = os.path.join(tmp, "stored.mp4")
        run(["-i", os.path.join(out_dir, "resize-portrait.mkv"), "-frames:v", "1",
             "-vf", "transpose=clock,scale=out_color_matrix=bt709:out_range=tv:flags=bicubic+accurate_rnd",
             "-c:v", "libx264", "-preset", "medium", "-crf", "18", "-threads", "1", "-pix_fmt", "yuv420p",
             "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
             *BITEXACT, stored])
        # FFmpeg 5.1 writes the rotate tag as a display matrix only on a stream copy.
        run(["-i", stored, "-c", "copy", "-metadata:s:v:0", "rotate=90", *BITEXACT, rotated])
    np.save(os.path.join(out_dir, "resize-rotated-h264.npy"),
            clip_crop(decode_rgb(rotated, H264_TO_RGB)))


# How the H.264 reference frame becomes full-resolution RGB: the stream's BT.709 limited-range matrix,
# bicubic chroma upsampling and exact rounding. (ffmpeg's default yuv420p -> rgb24 path is a fast
# converter that repeats each chroma sample over its 2x2 block and comes out about 1 level darker than the
# exact BT.709 formula; it is not what an accurate RGB frame looks like.)
H264_TO_RGB = ["-vf", "scale=in_color_matrix=bt709:in_range=tv:out_range=pc:flags=bicubic+accurate_rnd+full_chroma_int"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?", help="where to write the fixtures")
    ap.add_argument("--reference", nargs=2, metavar=("VIDEO", "OUT"), help="write one video's PIL crop")
    a = ap.parse_args()
    if a.reference:
        np.save(a.reference[1], clip_crop(decode_rgb(a.reference[0], H264_TO_RGB)))
    elif a.out_dir:
        make_fixtures(a.out_dir)
    else:
        ap.print_help()
        sys.exit(2)


if __name__ == "__main__":
    main()
