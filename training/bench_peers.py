"""merclip's precision modes against PyTorch, ONNX Runtime and OpenVINO on the same work, in one run.

    python training/bench_peers.py [--batches 1,8] [--iters 2] [--rounds 1] [--merclip .build/release/merclip]
                                   [--modes fp32-openblas,fp32-onednn,int8,bf16] [--threads T]

Run it with the venv of `training/setup.sh --peers` (torch, onnx, onnxruntime, openvino) after `swift build -c release`.

The work is `merclip bench`'s: a random full-size ViT-B/32 MER-CLIP, one segment = 12 frames 3x224x224 + 12
spectrogram images 3x224x224 + a 40-token transcript, through the vision, audio and language encoders, both task
decoders and heads (label embeddings computed once, not timed). Every segment has all three modalities, so the
peers run one fixed-shape graph (no padding masks), exported once from the PyTorch reference:
  torch-fp32          PyTorch eager, torch.inference_mode
  torch-bf16          the same under torch.autocast("cpu", torch.bfloat16)
  torch-int8          torch.ao.quantization.quantize_dynamic on every nn.Linear (qint8 weights)
  ort-fp32            ONNX Runtime CPU, the exported graph
  ort-int8            ONNX Runtime, onnxruntime.quantization.quantize_dynamic (QInt8 weights)
  openvino-default    OpenVINO CPU with its default settings (bf16 where OpenVINO picks it, e.g. with AMX)
  openvino-fp32       OpenVINO CPU with INFERENCE_PRECISION_HINT f32
Every system runs in a child process of its own, so each gets its own peak RSS (VmHWM of the child: the
interpreter and libraries, the model, the batch's inputs and its work). The seeded PyTorch model is also saved once
as a model directory, and merclip modes run as `merclip bench --model DIR --precision MODE --batch B --no-compare`
on it: the same weights as the peers, loaded as a worker loads them (a mode this CPU lacks is reported as such);
a peer runs as this script
with --child NAME, building its graph from the ONNX files (ONNX Runtime, OpenVINO) or the seeded PyTorch model
exported once. For each batch size the systems run one after the other, --rounds times over, so slow drifts of
the machine hit all of them; the best round counts. Prints the CPU model, its ISA flags, the load average before
and after, and a table of segments/s, ratios to the fastest peer and to the fastest fp32 peer, and peak RSS.
"""
import argparse
import os
import re
import resource
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
from merclip_reference import DEFAULT_VOCAB_DIR, FORMAT, REPO, MerClip, full_config  # noqa: E402


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


def torch_work():
    """The seeded random ViT-B/32 MER-CLIP with its label embeddings, as FixedSegments."""
    torch.manual_seed(0)
    m = MerClip({"format": FORMAT, "name": "merclip-vit-b-32"}).eval()
    with torch.inference_mode():
        m.set_vocab(DEFAULT_VOCAB_DIR)
        cache = {t["name"]: m.label_embeddings(t["name"]) for t in m.config["tasks"]}
    return FixedSegments(m, cache).eval()


def batch_inputs(c, batch):
    return inputs(batch, c["vision"]["image_size"], c["text"]["vocab_size"], c["text"]["bos_token_id"],
                  c["text"]["eos_token_id"])


def export(work, tmp):
    """The fp32 ONNX graph of `work` and its int8 dynamic quantisation, written once into tmp."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    x = batch_inputs(work.m.config, 1)
    fp32_path, int8_path = os.path.join(tmp, "merclip.onnx"), os.path.join(tmp, "merclip-int8.onnx")
    torch.backends.mha.set_fastpath_enabled(False)   # the fused attention kernel has no ONNX export
    with torch.inference_mode():
        torch.onnx.export(work, x, fp32_path, input_names=["frames", "audio", "ids"], opset_version=17, dynamo=False,
                          dynamic_axes={"frames": {0: "b"}, "audio": {0: "b"}, "ids": {0: "b"}})
    torch.backends.mha.set_fastpath_enabled(True)
    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8)


PEERS = {"torch-fp32": True, "torch-bf16": False, "torch-int8": False, "ort-fp32": True, "ort-int8": False,
         "openvino-default": False, "openvino-fp32": True}   # name -> counts as an fp32 peer


def peer(name, threads, tmp):
    """prepare(batch inputs) -> callable for one peer."""
    fp32_path, int8_path = os.path.join(tmp, "merclip.onnx"), os.path.join(tmp, "merclip-int8.onnx")
    if name.startswith("torch"):
        module = torch_work()
        if name == "torch-int8":
            module = torch.ao.quantization.quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)

        def prepare(xs):
            def run():
                with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=name == "torch-bf16"):
                    module(*xs)
            return run
        return prepare
    if name.startswith("ort"):
        import onnxruntime as ort
        o = ort.SessionOptions()
        o.intra_op_num_threads = threads
        s = ort.InferenceSession(int8_path if name == "ort-int8" else fp32_path, o, providers=["CPUExecutionProvider"])

        def prepare(xs):
            feed = {"frames": xs[0].numpy(), "audio": xs[1].numpy(), "ids": xs[2].numpy()}
            return lambda: s.run(None, feed)
        return prepare
    import openvino as ov
    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": "f32"} if name == "openvino-fp32" else {}
    c = core.compile_model(core.read_model(fp32_path), "CPU", {"INFERENCE_NUM_THREADS": threads, **config})

    def prepare(xs):
        req = c.create_infer_request()
        feed = {"frames": xs[0].numpy(), "audio": xs[1].numpy(), "ids": xs[2].numpy()}
        return lambda: req.infer(feed)
    return prepare


def child(a):
    """--child NAME: time one peer at one batch size; prints its rate and this process's peak RSS."""
    torch.set_num_threads(a.threads)
    xs = batch_inputs(full_config({"format": FORMAT, "name": "merclip-vit-b-32"}), a.batch)
    rate = a.batch / timed(peer(a.child, a.threads, a.tmp)(xs), a.iters)
    print(f"segments/s: {rate:.4f}")
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")


def peak_rss_mib():
    """This process's peak RSS: VmHWM (getrusage's ru_maxrss carries the parent's peak across fork and exec)."""
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_peer(name, batch, a, tmp):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--batch", str(batch), "--iters", str(a.iters),
           "--threads", str(a.threads), "--tmp", tmp]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["failed"])[-1], None
    rate = float(re.search(r"segments/s: ([0-9.]+)", p.stdout).group(1))
    return rate, "", int(re.search(r"peak RSS: ([0-9]+) MiB", p.stdout).group(1))


def merclip(binary, model_dir, mode, batch, iters, threads):
    cmd = [binary, "bench", "--model", model_dir, "--batch", str(batch), "--iters", str(iters), "--precision", mode,
           "--threads", str(threads), "--no-compare"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["failed"])[-1], None
    rate = float(re.search(r"segments/s: ([0-9.]+)", p.stdout).group(1))
    chosen = re.search(r"mode \S+: (.*) \(setup", p.stdout).group(1)
    auto = re.search(r"precision auto: .*", p.stdout + p.stderr)
    if auto:
        print(f"batch {batch} merclip {mode}: {auto.group(0)}", file=sys.stderr, flush=True)
    return rate, chosen, int(re.search(r"peak RSS: ([0-9]+) MiB", p.stdout).group(1))


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--iters", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--merclip", default=os.path.join(REPO, ".build", "release", "merclip"))
    ap.add_argument("--modes", default="fp32-openblas,fp32-onednn,int8,bf16,auto")
    ap.add_argument("--max-batch-seconds", type=float, default=150,
                    help="skip a system whose rate at an earlier batch size predicts longer batches than this")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a)
    torch.set_num_threads(a.threads)
    model, isa = cpu_facts()
    started = load()
    with tempfile.TemporaryDirectory() as tmp:
        work = torch_work()
        c = work.m.config
        export(work, tmp)
        model_dir = os.path.join(tmp, "model")
        work.m.save(model_dir)   # merclip loads the peers' weights from a model directory, as a worker does
        del work
        wanted = a.peers.split(",")
        rows = {}
        for batch in [int(b) for b in a.batches.split(",")]:
            for _ in range(a.rounds):
                for mode in a.modes.split(","):
                    rate, note, rss = merclip(a.merclip, model_dir, mode, batch, a.iters, a.threads)
                    key = ("merclip " + mode, batch)
                    if rate and (rows.get(key, (0,))[0] or 0) < rate:
                        rows[key] = (rate, note, mode.startswith("fp32"), rss)
                    elif not rate:
                        rows.setdefault(key, (None, f"unavailable: {note}", mode.startswith("fp32"), None))
                    print(f"batch {batch} merclip {mode}: {rate if rate else note} ({load()})", file=sys.stderr, flush=True)
                for name in wanted:
                    fp32 = PEERS[name]
                    earlier = [r[0] for (n, b), r in rows.items() if n == name and b != batch and r[0]]
                    if earlier and batch / max(earlier) > a.max_batch_seconds:
                        rows[(name, batch)] = (None, f"not run: {batch / max(earlier):.0f} s per batch predicted", fp32, None)
                        continue
                    rate, note, rss = run_peer(name, batch, a, tmp)
                    key = (name, batch)
                    if rate and (rows.get(key, (0,))[0] or 0) < rate:
                        rows[key] = (rate, "", fp32, rss)
                    elif not rate:
                        rows.setdefault(key, (None, f"failed: {note}", fp32, None))
                    print(f"batch {batch} {name}: {f'{rate:.3f}' if rate else note} ({load()})", file=sys.stderr, flush=True)
    import onnxruntime
    import openvino
    print(f"CPU: {model}; {a.threads} threads; ISA flags: {' '.join(isa)}")
    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, openvino {openvino.__version__}; "
          f"{segment_flop(c) / 1e9:.1f} GFLOP per segment")
    print(f"{started} before, {load()} after")
    for batch in sorted({b for _, b in rows}):
        peers = [(r[0], n, r[2]) for (n, b), r in rows.items() if b == batch and not n.startswith("merclip") and r[0]]
        best = max(peers, default=None)
        best32 = max((p for p in peers if p[2]), default=None)
        named = lambda p, what: f"{what} {p[1]} {p[0]:.3f}" if p else f"no {what} ran"
        print(f"\nbatch {batch}: {named(best, 'fastest peer')}, {named(best32, 'fastest fp32 peer')}")
        print("| system | segments/s | vs fastest peer | vs fastest fp32 peer | peak RSS |")
        print("| --- | --- | --- | --- | --- |")
        ratio = lambda rate, p: f"{rate / p[0]:.2f}x" if p else "-"
        for (name, b), (rate, note, _, rss) in rows.items():
            if b != batch:
                continue
            if rate is None:
                print(f"| {name} | {note} | | | |")
            else:
                label = f"{name} ({note})" if note else name
                print(f"| {label} | {rate:.3f} | {ratio(rate, best)} | {ratio(rate, best32)} | {rss} MiB |")


if __name__ == "__main__":
    main()
