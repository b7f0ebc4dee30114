"""PyTorch fp32 throughput of the work `merclip bench --preset vit-b-32 --batch N` does, for comparison.

    python training/bench_reference.py [--batch 4] [--iters 5] [--threads T]

A random full-size ViT-B/32 MER-CLIP in memory (vision and audio ViT-B/32 towers, 12x512 text encoder, the emotion
and sentiment decoders: width 512, 8 heads, FFN 2048). One segment = 12 frames 3x224x224 + 12 spectrogram images
3x224x224 + a 40-token transcript (SOS..EOS). A timed batch runs the vision encoder on B*12 images, the audio
encoder on B*12 images, the language encoder on B sequences, both decoders and both heads; label embeddings and
queries are computed once before timing. One warm-up batch, then --iters timed batches, torch.inference_mode.

FLOP count (shared with the Swift bench): FLOP = 2 x multiply-adds of every linear layer, the patch embedding
and the two attention products (Q.K^T and A.V, full square even where a mask hides entries). Nothing else
(LayerNorm, softmax, GELU, residual adds, biases) is counted.
  ViT image, grid g = S/P, n = g^2 + 1 tokens, width D, MLP I, L layers, projection d:
      g^2*D*3*P^2  +  L*(4*n*D^2 + 2*n*D*I + 2*n^2*D)  +  D*d
  text sequence of T tokens, width W, MLP I, L layers (projection applied at every position):
      L*(4*T*W^2 + 2*T*W*I + 2*T^2*W)  +  T*W*d
  decoder layer for a modality with T keys (one query token, width d, FFN F):
      self-attention 4*d^2 + 2*d  +  cross-attention 2*d^2 + 2*T*d^2 + 2*T*d  +  FFN 2*d*F
  head with L labels: L*d (cosines)
  per segment: 12*ViT + 12*ViT(audio) + text(T=40) + per task (3 decoder layers with T = 40, 12, 12 + head)
For ViT-B/32: 8.818 GFLOP per image, 214.88 GFLOP per segment (24 images 211.62, text 3.08, 2 decoders+heads 0.18).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from merclip_reference import DEFAULT_VOCAB_DIR, FORMAT, MerClip  # noqa: E402

FRAMES, WINDOWS, TOKENS = 12, 12, 40


def vit_macs(v, d):
    g = v["image_size"] // v["patch_size"]
    n, D, I = g * g + 1, v["hidden_size"], v["intermediate_size"]
    layer = 4 * n * D * D + 2 * n * D * I + 2 * n * n * D
    return g * g * D * 3 * v["patch_size"] ** 2 + v["num_hidden_layers"] * layer + D * d


def text_macs(t, T, d):
    W, I = t["hidden_size"], t["intermediate_size"]
    return t["num_hidden_layers"] * (4 * T * W * W + 2 * T * W * I + 2 * T * T * W) + T * W * d


def decoder_macs(d, F, keys, n_labels):
    total = n_labels * d
    for T in keys:
        total += 4 * d * d + 2 * d + 2 * d * d + 2 * T * d * d + 2 * T * d + 2 * d * F
    return total


def segment_flop(c):
    d = c["projection_dim"]
    macs = FRAMES * vit_macs(c["vision"], d) + WINDOWS * vit_macs(c["audio"], d) + text_macs(c["text"], TOKENS, d)
    for t in c["tasks"]:
        macs += decoder_macs(d, c["decoder"]["intermediate_size"], [TOKENS, FRAMES, WINDOWS], len(t["labels"]))
    return 2 * macs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    m = MerClip({"format": FORMAT, "name": "merclip-vit-b-32"}).eval()
    c = m.config
    g = torch.Generator().manual_seed(a.seed)
    size = c["vision"]["image_size"]
    vocab = c["text"]["vocab_size"]
    ids = [c["text"]["bos_token_id"]] + torch.randint(0, vocab - 2, (TOKENS - 2,), generator=g).tolist() \
        + [c["text"]["eos_token_id"]]
    segs = [{"frames": torch.randn(FRAMES, 3, size, size, generator=g),
             "audio": torch.randn(WINDOWS, 3, size, size, generator=g), "token_ids": ids} for _ in range(a.batch)]
    with torch.inference_mode():
        m.set_vocab(DEFAULT_VOCAB_DIR)   # label prompts; label embeddings are computed once, not timed
        cache = {t["name"]: m.label_embeddings(t["name"]) for t in c["tasks"]}
        m(segs, label_cache=cache)   # warm-up
        t0 = time.perf_counter()
        for _ in range(a.iters):
            m(segs, label_cache=cache)
        dt = (time.perf_counter() - t0) / a.iters
    flop = segment_flop(c)
    print(f"reference: torch {torch.__version__}, threads {a.threads}, batch {a.batch}")
    print(f"seconds/batch: {dt:.3f} (mean of {a.iters})")
    print(f"segments/s: {a.batch / dt:.3f}")
    print(f"GFLOP/segment: {flop / 1e9:.2f}")
    print(f"GFLOP/s: {flop * a.batch / dt / 1e9:.1f}")


if __name__ == "__main__":
    main()
