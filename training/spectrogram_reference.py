"""MER-CLIP audio front end in numpy: the reference for Sources/Media/LogMelSpectrogram.swift.

The computation (docs/media.md, "Audio"): 16 kHz mono waveform in [-1, 1), cut into 2 s windows
(T_A = ceil(tau / 2), last zero-padded; when T_A > max_windows keep max_windows windows
k = floor((i + 0.5) * T_A / max_windows)). Per window: frames of n_fft samples every hop_length,
no padding (61 frames); periodic Hann w[n] = 0.5 - 0.5 cos(2 pi n / n_fft); power |X_k|^2 of the
real FFT; HTK mel filterbank (n_mels triangles, edges equally spaced in mel from mel(f_min) to
mel(f_max), bin k at mel(sr k / n_fft)); ln(max(E, 1e-10)); linear resize along time to image_size
columns (c = max(0, (j + 0.5) * 61 / W - 0.5), c0 = floor(c), c1 = min(c0 + 1, 60)). The images
here are before normalisation; the model then uses (x - mean) / std repeated over 3 channels.

Usage:
  python training/spectrogram_reference.py WAV... [--out DIR]     write <name>.logmel.npy per WAV
  python training/spectrogram_reference.py --make-fixtures DIR    tone.wav, speech.wav (espeak-ng)
                                                                  and their .logmel.npy files
WAV input: 16 kHz mono 16-bit PCM (the fixtures are made that way).
"""
import argparse
import os
import subprocess
import tempfile
import wave

import numpy as np

DEFAULTS = dict(sample_rate=16000, window_seconds=2.0, max_windows=12, n_fft=1024, hop_length=512,
                n_mels=224, f_min=20.0, f_max=8000.0, image_size=224)


def mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_filters(sample_rate, n_fft, n_mels, f_min, f_max):
    """[n_mels, n_fft // 2 + 1] triangular weights."""
    edges = np.linspace(mel(f_min), mel(f_max), n_mels + 2)
    m = mel(sample_rate * np.arange(n_fft // 2 + 1) / n_fft)
    lower = (m[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - m[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    return np.maximum(0.0, np.minimum(lower, upper))


def log_mel(window, c=DEFAULTS):
    """ln(max(E, 1e-10)) of one window of samples: [n_mels, frames]."""
    n, hop = c["n_fft"], c["hop_length"]
    frames = 1 + (len(window) - n) // hop
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    idx = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    spec = np.fft.rfft(window[idx] * hann[None, :], n=n, axis=1)
    power = spec.real ** 2 + spec.imag ** 2                      # [frames, n/2+1]
    fb = mel_filters(c["sample_rate"], n, c["n_mels"], c["f_min"], c["f_max"])
    energy = power @ fb.T                                         # [frames, n_mels]
    return np.log(np.maximum(energy, 1e-10)).T


def resize_time(x, width):
    """Linear resize of [rows, frames] to [rows, width] along time (the formula of docs/media.md)."""
    frames = x.shape[1]
    j = np.arange(width)
    col = np.maximum(0.0, (j + 0.5) * frames / width - 0.5)
    c0 = np.minimum(np.floor(col).astype(np.int64), frames - 1)
    c1 = np.minimum(c0 + 1, frames - 1)
    a = col - c0
    return (1.0 - a)[None, :] * x[:, c0] + a[None, :] * x[:, c1]


def chosen_windows(total, max_windows):
    if total <= max_windows:
        return list(range(total))
    return [int((i + 0.5) * total / max_windows) for i in range(max_windows)]


def audio_images(samples, c=DEFAULTS):
    """[T_A, n_mels, image_size] log-mel images before normalisation."""
    win = int(round(c["window_seconds"] * c["sample_rate"]))
    total = -(-len(samples) // win)
    out = []
    for w in chosen_windows(total, c["max_windows"]):
        chunk = np.zeros(win, dtype=np.float64)
        part = samples[w * win:(w + 1) * win]
        chunk[:len(part)] = part
        out.append(resize_time(log_mel(chunk, c), c["image_size"]))
    return np.stack(out).astype(np.float32)


def read_wav16(path):
    with wave.open(path, "rb") as f:
        assert f.getsampwidth() == 2 and f.getnchannels() == 1, f"{path}: need mono 16-bit PCM"
        assert f.getframerate() == DEFAULTS["sample_rate"], f"{path}: need {DEFAULTS['sample_rate']} Hz"
        data = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    return data.astype(np.float64) / 32768.0


def write_wav16(path, samples, rate=16000):
    q = np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(q.tobytes())


def make_fixtures(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rate = DEFAULTS["sample_rate"]
    # 2.5 s: two steady tones, a chirp 100 Hz -> 7 kHz, a click and a -50 dBFS noise floor (as in any
    # recording; over digital silence a float32 FFT cannot hold 1e-3 on cells 20 nats below the peak);
    # T_A = 2, the last window zero-padded.
    t = np.arange(int(2.5 * rate)) / rate
    chirp_phase = 2 * np.pi * (100 * t + (7000 - 100) / (2 * 2.5) * t ** 2)
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.15 * np.sin(2 * np.pi * 2500 * t) + 0.1 * np.sin(chirp_phase)
    x[int(1.2 * rate):int(1.2 * rate) + 8] += 0.3
    x += 0.003 * np.random.default_rng(0).standard_normal(len(x))
    write_wav16(os.path.join(out_dir, "tone.wav"), x)
    # Speech from espeak-ng, resampled to 16 kHz mono 16-bit by ffmpeg.
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "speech22k.wav")
        subprocess.run(["espeak-ng", "-w", raw, "I am so happy to see you today. This is wonderful news."], check=True)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", raw, "-ar", str(rate), "-ac", "1",
                        "-c:a", "pcm_s16le", os.path.join(out_dir, "speech.wav")], check=True)
    for name in ("tone", "speech"):
        wav = os.path.join(out_dir, name + ".wav")
        np.save(os.path.join(out_dir, name + ".logmel.npy"), audio_images(read_wav16(wav)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wavs", nargs="*")
    ap.add_argument("--out", default=None)
    ap.add_argument("--make-fixtures", metavar="DIR")
    a = ap.parse_args()
    if a.make_fixtures:
        make_fixtures(a.make_fixtures)
    for wav in a.wavs:
        img = audio_images(read_wav16(wav))
        base = os.path.splitext(os.path.basename(wav))[0] + ".logmel.npy"
        np.save(os.path.join(a.out or os.path.dirname(wav) or ".", base), img)
        print(wav, img.shape, float(img.min()), float(img.max()))


if __name__ == "__main__":
    main()
