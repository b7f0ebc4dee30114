"""merclip's precision modes against PyTorch, ONNX Runtime and OpenVINO on the same work, in one run.

    python training/bench_peers.py [--batches 1,8] [--iters 2] [--rounds 1] [--merclip .build/release/merclip]
                                   [--modes fp32-openblas,fp32-onednn,int8,bf16] [--threads T]

The work is `merclip bench`'s: a random full-size ViT-B/32 MER-CLIP, one segment = 12 frames 3x224x224 + 12
spectrogram images 3x224x224 + a 40-token transcript, through the vision, audio and language encoders, both task
decoders and heads (label embeddings computed once, not timed). Every segment has all three modalities, so the
peers run one fixed-shape graph (no padding masks), exported once from the PyTorch reference:
  torch-fp32          PyTorch eager, torch.inference_mode
  torch-bf16          the same under torch.autocast("cpu", torch.bfloat16)
  torch-int8          torch.ao.quantization.quantize_dynamic on every nn.Linear (qint8 weights)
  ort-fp32            ONNX Runtime CPU, the exported graph
  ort-int8            ONNX Runtime, onnxruntime.quantization.quantize_dynamic (QInt8 weights)
  openvino-default    OpenVINO CPU with its default settings (bf16 where the CPU has AMX / AVX512-BF16)
  openvino-fp32       OpenVINO CPU with INFERENCE_PRECISION_HINT f32
merclip modes run as `merclip bench --precision MODE --batch B` in a child process (a mode this CPU lacks is
reported as such). For each batch size the systems run one after the other, --rounds times over, so slow drifts
of the machine hit all of them; the best round counts. Prints the CPU model, its ISA flags and a table of
segments/s with each system's ratio to the fastest peer and to the fastest fp32 peer.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_reference import FRAMES, TOKENS, WINDOWS, segment_flop  # noqa: E402
from merclip_reference import DEFAULT_VOCAB_DIR, FORMAT, REPO, MerClip  # noqa: E402


class FixedSegments(nn.Module):
    """B segments with all modalities: frames [B,12,3,S,S], audio [B,12,3,S,S], ids [B,40] -> probs per task."""

    def __init__(self, m, cache):
        super().__init__()
        self.m = m
        self.tasks = m.config["tasks"]
        self.order = m.config["fusion_order"]
        for t in self.tasks:
            E, q = cache[t["name"]]
            self.register_buffer(f"E_{t['name']}", E.clone())
            self.register_buffer(f"q_{t['name']}", q.clone())

    def forward(self, frames, audio, ids):
        b, d = frames.shape[0], self.m.config["projection_dim"]
        feats = {"vision": self.m.encode_images(self.m.vision, frames.flatten(0, 1)).reshape(b, FRAMES, d),
                 "audio": self.m.encode_images(self.m.audio, audio.flatten(0, 1)).reshape(b, WINDOWS, d),
                 "language": self.m.encode_tokens(ids)}
        out = []
        for t in self.tasks:
            cmd = self.m.tasks[t["name"]].cmd
            z = getattr(self, f"q_{t['name']}").reshape(1, 1, d).expand(b, 1, d)
            for layer, mod in zip(cmd.layers, self.order):
                z = layer(z, feats[mod])
            s = F.normalize(cmd.norm(z.squeeze(1)), dim=-1) @ getattr(self, f"E_{t['name']}").T
            if t["kind"] == "multi_label":
                out.append(torch.sigmoid((s - s.mean(-1, keepdim=True)) / s.std(-1, keepdim=True, unbiased=True)))
            else:
                out.append(torch.softmax(self.m.tasks[t["name"]].logit_scale.exp() * s, dim=-1))
        return tuple(out)


def cpu_facts():
    model, flags = "unknown CPU", set()
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name") and model == "unknown CPU":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    isa = [x for x in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16",
                       "amx_int8") if x in flags]
    return model, isa


def inputs(batch, size, vocab, bos, eos, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = [bos] + torch.randint(0, vocab - 2, (TOKENS - 2,), generator=g).tolist() + [eos]
    return (torch.randn(batch, FRAMES, 3, size, size, generator=g), torch.randn(batch, WINDOWS, 3, size, size, generator=g),
            torch.tensor([ids] * batch))


def timed(run, iters):
    run()   # warm-up
    t0 = time.perf_counter()
    for _ in range(iters):
        run()
    return (time.perf_counter() - t0) / iters


def peers(work, threads, tmp):
    """name -> (prepare(batch inputs) -> callable) for every peer."""
    import onnxruntime as ort
    import openvino as ov
    from onnxruntime.quantization import QuantType, quantize_dynamic

    x = inputs(1, work.m.config["vision"]["image_size"], work.m.config["text"]["vocab_size"],
               work.m.config["text"]["bos_token_id"], work.m.config["text"]["eos_token_id"])
    fp32_path, int8_path = os.path.join(tmp, "merclip.onnx"), os.path.join(tmp, "merclip-int8.onnx")
    torch.backends.mha.set_fastpath_enabled(False)   # the fused attention kernel has no ONNX export
    with torch.inference_mode():
        torch.onnx.export(work, x, fp32_path, input_names=["frames", "audio", "ids"], opset_version=17, dynamo=False,
                          dynamic_axes={"frames": {0: "b"}, "audio": {0: "b"}, "ids": {0: "b"}})
    torch.backends.mha.set_fastpath_enabled(True)
    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8)
    int8_torch = torch.ao.quantization.quantize_dynamic(work, {nn.Linear}, dtype=torch.qint8)

    def torch_run(module, autocast=False):
        def prepare(xs):
            def run():
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                    module(*xs)
            return run
        return prepare

    def ort_run(path):
        o = ort.SessionOptions()
        o.intra_op_num_threads = threads
        s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])

        def prepare(xs):
            feed = {"frames": xs[0].numpy(), "audio": xs[1].numpy(), "ids": xs[2].numpy()}
            return lambda: s.run(None, feed)
        return prepare

    core = ov.Core()
    ov_model = core.read_model(fp32_path)

    def ov_run(config):
        c = core.compile_model(ov_model, "CPU", {"INFERENCE_NUM_THREADS": threads, **config})

        def prepare(xs):
            req = c.create_infer_request()
            feed = {"frames": xs[0].numpy(), "audio": xs[1].numpy(), "ids": xs[2].numpy()}
            return lambda: req.infer(feed)
        return prepare

    return {"torch-fp32": (torch_run(work), True), "torch-bf16": (torch_run(work, autocast=True), False),
            "torch-int8": (torch_run(int8_torch), False), "ort-fp32": (ort_run(fp32_path), True),
            "ort-int8": (ort_run(int8_path), False), "openvino-default": (ov_run({}), False),
            "openvino-fp32": (ov_run({"INFERENCE_PRECISION_HINT": "f32"}), True)}


def merclip(binary, mode, batch, iters, threads):
    cmd = [binary, "bench", "--preset", "vit-b-32", "--batch", str(batch), "--iters", str(iters), "--precision", mode,
           "--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["failed"])[-1]
    rate = float(re.search(r"segments/s: ([0-9.]+)", p.stdout).group(1))
    chosen = re.search(r"mode \S+: (.*) \(setup", p.stdout).group(1)
    return rate, chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--merclip", default=os.path.join(REPO, ".build", "release", "merclip"))
    ap.add_argument("--modes", default="fp32-openblas,fp32-onednn,int8,bf16")
    ap.add_argument("--max-batch-seconds", type=float, default=150,
                    help="skip a system whose rate at an earlier batch size predicts longer batches than this")
    ap.add_argument("--peers", default="torch-fp32,torch-bf16,torch-int8,ort-fp32,ort-int8,openvino-default,openvino-fp32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = MerClip({"format": FORMAT, "name": "merclip-vit-b-32"}).eval()
    c = m.config
    with torch.inference_mode():
        m.set_vocab(DEFAULT_VOCAB_DIR)
        cache = {t["name"]: m.label_embeddings(t["name"]) for t in c["tasks"]}
    work = FixedSegments(m, cache).eval()
    model, isa = cpu_facts()
    with tempfile.TemporaryDirectory() as tmp:
        systems = peers(work, a.threads, tmp)
        wanted = a.peers.split(",")
        rows = {}
        for batch in [int(b) for b in a.batches.split(",")]:
            xs = inputs(batch, c["vision"]["image_size"], c["text"]["vocab_size"], c["text"]["bos_token_id"],
                        c["text"]["eos_token_id"])
            for _ in range(a.rounds):
                for mode in a.modes.split(","):
                    rate, note = merclip(a.merclip, mode, batch, a.iters, a.threads)
                    key = ("merclip " + mode, batch)
                    rows[key] = (max(rate, rows.get(key, (0,))[0] or 0) if rate else None,
                                 note if rate else f"unavailable: {note}", mode.startswith("fp32"))
                    print(f"batch {batch} merclip {mode}: {rate if rate else note}", file=sys.stderr, flush=True)
                for name in wanted:
                    prepare, fp32 = systems[name]
                    earlier = [r[0] for (n, b), r in rows.items() if n == name and b != batch and r[0]]
                    if earlier and batch / max(earlier) > a.max_batch_seconds:
                        rows[(name, batch)] = (None, f"not run: {batch / max(earlier):.0f} s per batch predicted", fp32)
                        continue
                    rate = batch / timed(prepare(xs), a.iters)
                    key = (name, batch)
                    rows[key] = (max(rate, rows.get(key, (0,))[0] or 0), "", fp32)
                    print(f"batch {batch} {name}: {rate:.3f}", file=sys.stderr, flush=True)
    import onnxruntime
    import openvino
    print(f"CPU: {model}; {a.threads} threads; ISA flags: {' '.join(isa)}")
    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, openvino {openvino.__version__}; "
          f"{segment_flop(c) / 1e9:.1f} GFLOP per segment")
    for batch in sorted({b for _, b in rows}):
        peer = [(r[0], n) for (n, b), r in rows.items() if b == batch and not n.startswith("merclip") and r[0]]
        best = max(peer)
        best32 = max((r[0], n) for (n, b), r in rows.items() if b == batch and not n.startswith("merclip") and r[2] and r[0])
        print(f"\nbatch {batch}: fastest peer {best[1]} {best[0]:.3f}, fastest fp32 peer {best32[1]} {best32[0]:.3f}")
        print("| system | segments/s | vs fastest peer | vs fastest fp32 peer |")
        print("| --- | --- | --- | --- |")
        for (name, b), (rate, note, _) in rows.items():
            if b != batch:
                continue
            if rate is None:
                print(f"| {name} | {note} | | |")
            else:
                label = f"{name} ({note})" if note else name
                print(f"| {label} | {rate:.3f} | {rate / best[0]:.2f}x | {rate / best32[0]:.2f}x |")


if __name__ == "__main__":
    main()
