"""Writes the deterministic test fixtures the Swift engine is checked against.

    python training/make_fixtures.py [--out Tests/Fixtures]

Tests/Fixtures/models/<shape>/clip      HF CLIP checkpoint (CLIPModel.save_pretrained) + truncated BPE
Tests/Fixtures/models/<shape>/merclip   MER-CLIP model dir imported from it, heads perturbed (trained=false)
Tests/Fixtures/parity/<shape>/          inputs and expected outputs (see training/README.md)
Tests/Fixtures/tokenizer/cases.json     OpenAI SimpleTokenizer ids with the full CLIP vocab
Expected outputs are always computed in float32 from the weights read back from the saved directories.
"""
import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import transformers
import torch.nn as nn
import torch.nn.functional as F
from transformers import CLIPConfig, CLIPModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_vocab  # noqa: E402
from merclip_reference import REPO, ClipTokenizer, MerClip  # noqa: E402

SHAPES = {
    "tiny-a": {
        "vision": dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       intermediate_size=64, hidden_act="quick_gelu"),
        "text": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     max_position_embeddings=77),
        "projection_dim": 32, "decoder": dict(num_attention_heads=4, intermediate_size=64),
        "clip_dtype": torch.float32, "merclip_dtype": "F32",
        "tasks": None,  # the default emotion (6 labels, threshold 0.6) and sentiment tasks
        "sentences": ["a photo of a cat.", "I can't believe how happy I am today!",
                      "The meeting ran late, and everyone was frustrated by 3 pm.", "Wow"],
        "transcripts": ["I can't believe we won the game tonight!",
                        "The weather is terrible and I'm so tired of waiting for the bus.", "Hmm, okay."],
    },
    "tiny-b": {
        "vision": dict(image_size=48, patch_size=16, hidden_size=48, num_hidden_layers=3, num_attention_heads=3,
                       intermediate_size=96, hidden_act="gelu"),
        "text": dict(hidden_size=40, num_hidden_layers=1, num_attention_heads=5, intermediate_size=80,
                     max_position_embeddings=77),
        "projection_dim": 16, "decoder": dict(num_attention_heads=2, intermediate_size=32),
        "clip_dtype": torch.bfloat16, "merclip_dtype": "F16",
        "tasks": [
            {"name": "emotion", "kind": "multi_label", "query": "Emotion", "threshold": 0.55,
             "labels": ["happy", "sad", "really angry", "surprise", "I feel disgusted by this"]},
            {"name": "sentiment", "kind": "single_label", "query": "Sentiment",
             "labels": ["positive", "neutral", "negative"]},
            {"name": "arousal", "kind": "single_label", "query": "", "labels": ["calm", "very excited"]},
        ],
        "sentences": ["She said: \"don't worry, we'll fix it.\"", "Thank you so much!!",
                      "Why is the 2nd invoice $120 higher than last month's?"],
        "transcripts": ["Honestly, I'm really disappointed with the service.",
                        "Great news, everyone, the launch went perfectly and we're ahead of schedule!", "No."],
    },
}
# segment layout (the same for every shape): frames? audio windows? transcript index?
SEGMENTS = [
    ("seg0", True, 3, 0),       # all modalities
    ("seg1", True, 0, 1),       # no audio
    ("seg2", False, 1, 2),      # no vision: transcript + audio
    ("seg3", False, 2, None),   # audio only
]
FRAMES = 12
SEED = 20240601


# --------------------------------------------------------------------------------------------- helpers

def perturb_(module, g, ln=0.1, bias=0.05):
    """Non-trivial LayerNorm and bias parameters (initialisation leaves them 1 and 0, which hides bugs)."""
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.add_(torch.randn(mod.weight.shape, generator=g) * ln)
                mod.bias.add_(torch.randn(mod.bias.shape, generator=g) * bias)
            elif isinstance(mod, nn.MultiheadAttention):
                mod.in_proj_bias.add_(torch.randn(mod.in_proj_bias.shape, generator=g) * bias)
            elif isinstance(mod, nn.Linear) and mod.bias is not None:
                mod.bias.add_(torch.randn(mod.bias.shape, generator=g) * bias)


def snap_(module, dtype):
    """Round to dtype; values below F16's normal range become 0 so BF16 values are also exact in F16."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.where(p.abs() < 2.0 ** -14, torch.zeros_like(p), p).to(dtype).float())


def save_npy(path, t):
    np.save(path, np.ascontiguousarray(t.detach().float().numpy().astype(np.float32)))


def load_simple_tokenizer():
    spec = importlib.util.find_spec("open_clip")
    if spec is None:
        sys.exit("open_clip_torch is not installed: pip install open_clip_torch --no-deps")
    path = os.path.join(list(spec.submodule_search_locations)[0], "tokenizer.py")
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # `import open_clip` needs torchvision; the tokenizer file alone does not
    return mod.SimpleTokenizer()


def manual_decoder(m, task, query, per, i):
    """The decoder written from docs/model-format.md's formulas, one unpadded segment: cross-checks torch's layers."""
    head = m.tasks[task]
    heads = m.config["decoder"]["num_attention_heads"]
    eps = m.config["decoder"]["layer_norm_eps"]

    def ln(x, norm):
        return F.layer_norm(x, x.shape[-1:], norm.weight, norm.bias, eps)

    def mha(x, kv, a):
        d = x.shape[-1]
        w, b = a.in_proj_weight, a.in_proj_bias
        q, k, v = x @ w[:d].T + b[:d], kv @ w[d:2 * d].T + b[d:2 * d], kv @ w[2 * d:].T + b[2 * d:]
        dh = d // heads
        outs = []
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            att = torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(dh), dim=-1)
            outs.append(att @ v[:, sl])
        return torch.cat(outs, -1) @ a.out_proj.weight.T + a.out_proj.bias

    z = query.unsqueeze(0)
    for k, mod in enumerate(m.config["fusion_order"]):
        x = per[mod][i]
        if x is None:
            continue
        layer = head.cmd.layers[k]
        y = ln(z, layer.norm1)
        z = z + mha(y, y, layer.self_attn)
        y = ln(z, layer.norm2)
        z = z + mha(y, x, layer.multihead_attn)
        y = ln(z, layer.norm3)
        z = z + layer.linear2(F.gelu(layer.linear1(y)))
    return ln(z, head.cmd.norm)[0]


def margins_ok(m, out):
    """Outputs are usable as fixtures: no probability within 0.02 of a decision boundary, predictions vary."""
    for t in m.config["tasks"]:
        p = out[t["name"]]["probs"]
        if t["kind"] == "multi_label":
            if (p - t["threshold"]).abs().min() < 0.02:
                return False
            sets = {tuple(x) for x in out[t["name"]]["predicted"]}
            if len(sets) < 2 or all(len(x) == 0 for x in sets):
                return False
        else:
            top = p.topk(2, dim=-1).values
            if (top[:, 0] - top[:, 1]).min() < 0.02:
                return False
    return True


# ---------------------------------------------------------------------------------------------- shapes

def build_clip(shape, spec, vocab_dir, clip_dir):
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED + 1)
    tok = ClipTokenizer.from_dir(vocab_dir)
    text = dict(spec["text"], vocab_size=len(tok.encoder), bos_token_id=tok.sos, eos_token_id=tok.eos,
                pad_token_id=tok.eos)
    proj = spec["projection_dim"]   # sub-configs agree with the top level, as in OpenAI's checkpoints
    cfg = CLIPConfig(text_config=dict(text, projection_dim=proj),
                     vision_config=dict(spec["vision"], projection_dim=proj), projection_dim=proj)
    model = CLIPModel(cfg).eval()
    perturb_(model, g)
    snap_(model, spec["clip_dtype"])
    if os.path.exists(clip_dir):
        shutil.rmtree(clip_dir)
    model.to(spec["clip_dtype"]).save_pretrained(clip_dir)
    for name in ("vocab.json", "merges.txt"):
        shutil.copyfile(os.path.join(vocab_dir, name), os.path.join(clip_dir, name))
    return CLIPModel.from_pretrained(clip_dir, dtype=torch.float32).eval()


def build_merclip(shape, spec, clip_dir, mer_dir):
    """Imports the clip dir, perturbs the heads, saves; retries head seeds until outputs are non-degenerate."""
    for attempt in range(50):
        m = MerClip.from_hf_clip(clip_dir, tasks=spec["tasks"], name=f"merclip-{shape}", version="0.0.1",
                                 seed=SEED + 100 + attempt, decoder=spec["decoder"])
        g = torch.Generator().manual_seed(SEED + 200 + attempt)
        for head in m.tasks.values():
            perturb_(head, g)
            with torch.no_grad():
                head.logit_scale.add_(torch.randn((), generator=g) * 0.3)
        if os.path.exists(mer_dir):
            shutil.rmtree(mer_dir)
        m.save(mer_dir, spec["merclip_dtype"])
        yield mer_dir, m, attempt


def make_shape(shape, spec, vocab_dir, root):
    clip_dir = os.path.join(root, "models", shape, "clip")
    mer_dir = os.path.join(root, "models", shape, "merclip")
    par = os.path.join(root, "parity", shape)
    if os.path.exists(par):
        shutil.rmtree(par)
    os.makedirs(par)
    clip = build_clip(shape, spec, vocab_dir, clip_dir)
    tok = ClipTokenizer.from_dir(vocab_dir)
    size = spec["vision"]["image_size"]
    g = torch.Generator().manual_seed(SEED + 7)

    # CLIP parity: image and text features of the HF checkpoint
    pixels = torch.randn(4, 3, size, size, generator=g)
    lines = [tok(s) for s in spec["sentences"]]
    with torch.inference_mode():
        image_embeds = clip.get_image_features(pixel_values=pixels).pooler_output
        text_embeds = torch.cat([clip.get_text_features(input_ids=torch.tensor([ids])).pooler_output for ids in lines])
    save_npy(os.path.join(par, "pixels.npy"), pixels)
    save_npy(os.path.join(par, "image_embeds.npy"), image_embeds)
    save_npy(os.path.join(par, "text_embeds.npy"), text_embeds)
    with open(os.path.join(par, "token_ids.txt"), "w") as f:
        f.write("".join(" ".join(map(str, ids)) + "\n" for ids in lines))

    # segments
    segs, seg_json = [], []
    for sid, has_frames, t_a, ti in SEGMENTS:
        frames = torch.randn(FRAMES, 3, size, size, generator=g) if has_frames else None
        audio = torch.randn(t_a, 1, size, size, generator=g).expand(-1, 3, -1, -1).contiguous() if t_a else None
        transcript = spec["transcripts"][ti] if ti is not None else None
        ids = tok(transcript) if transcript is not None else None
        if frames is not None:
            save_npy(os.path.join(par, f"{sid}_frames.npy"), frames)
        if audio is not None:
            save_npy(os.path.join(par, f"{sid}_audio.npy"), audio)
        segs.append({"frames": frames, "audio": audio, "token_ids": ids})
        seg_json.append({"id": sid, "frames": f"{sid}_frames.npy" if has_frames else None,
                         "audio": f"{sid}_audio.npy" if t_a else None, "transcript": transcript, "token_ids": ids})
    with open(os.path.join(par, "segments.json"), "w") as f:
        json.dump(seg_json, f, indent=1)
        f.write("\n")

    # MER-CLIP: build, save, read back, compute
    for _, saved, attempt in build_merclip(shape, spec, clip_dir, mer_dir):
        m = MerClip.load(mer_dir)
        with torch.inference_mode():
            out = m.predict(segs)
        if margins_ok(m, out):
            break
    else:
        raise RuntimeError(f"{shape}: no head seed gave non-degenerate outputs")

    # checks: the in-memory model rounded like the file gives identical outputs; import kept the encoders;
    # the decoder formulas of docs/model-format.md agree with torch's layers
    rounded = {k: v.float() for k, v in saved.tensors(spec["merclip_dtype"]).items()}
    saved.load_state_dict(rounded, strict=False)
    with torch.inference_mode():
        again = saved.predict(segs)
        for t in m.config["tasks"]:
            for key in ("Z", "probs", "E", "query"):
                assert torch.equal(out[t["name"]][key], again[t["name"]][key]), f"{shape}: reload changed {key}"
        sd = m.state_dict()
        for k, v in clip.state_dict().items():
            if k.endswith("position_ids") or k == "logit_scale":
                continue
            tower = ("vision", "audio") if k.startswith("vis") else ("language", "label")
            for p in tower:
                assert torch.equal(sd[f"{p}.{k}"], v), f"{shape}: {p}.{k} differs from the clip dir"
        feats = m.encode_images(m.vision, pixels)
        assert torch.allclose(feats, image_embeds, rtol=1e-5, atol=1e-6), f"{shape}: vision != clip image features"
        for t in m.config["tasks"]:
            for i in range(len(segs)):
                z = manual_decoder(m, t["name"], out[t["name"]]["query"], out["_features"], i)
                err = (z - out[t["name"]]["Z"][i]).abs().max().item()
                assert err < 1e-5, f"{shape}: manual decoder differs by {err}"

    per = out["_features"]
    for i, (sid, *_rest) in enumerate(SEGMENTS):
        for mod in ("vision", "audio", "language"):
            if per[mod][i] is not None:
                save_npy(os.path.join(par, f"features_{sid}_{mod}.npy"), per[mod][i])
    expected = {"shape": shape, "model": f"models/{shape}/merclip", "clip": f"models/{shape}/clip",
                "rtol": 1e-4, "segments": [], "tasks": []}
    for i, (sid, *_rest) in enumerate(SEGMENTS):
        expected["segments"].append({"id": sid, "modalities": [mod for mod in m.config["fusion_order"]
                                                               if per[mod][i] is not None]})
    for t in m.config["tasks"]:
        r = out[t["name"]]
        save_npy(os.path.join(par, f"cmd_{t['name']}.npy"), r["Z"])
        save_npy(os.path.join(par, f"probs_{t['name']}.npy"), r["probs"])
        save_npy(os.path.join(par, f"label_embeds_{t['name']}.npy"), r["E"])
        save_npy(os.path.join(par, f"query_{t['name']}.npy"), r["query"])
        entry = {"name": t["name"], "kind": t["kind"], "query": t["query"], "labels": t["labels"],
                 "predicted": r["predicted"]}
        if t["kind"] == "multi_label":
            entry["threshold"] = t["threshold"]
        expected["tasks"].append(entry)
    with open(os.path.join(par, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")

    print(f"{shape}: clip {spec['clip_dtype']}, merclip {spec['merclip_dtype']}, head seed attempt {attempt}")
    for t in expected["tasks"]:
        probs = out[t["name"]]["probs"]
        print(f"  {t['name']:9s} {t['kind']:12s} labels {t['labels']}")
        for i, s in enumerate(expected["segments"]):
            print(f"    {s['id']} {'+'.join(s['modalities']):22s} p=[{', '.join(f'{x:.3f}' for x in probs[i].tolist())}] "
                  f"-> {t['predicted'][i]}")


# ------------------------------------------------------------------------------------------- tokenizer

TOKENIZER_TEXTS = [
    "Hello, world!",
    "a photo of a cat",
    "I'm happy you're here; we've waited, they'll come, she'd know, it's fine, don't go.",
    "IT'S LOUD AND CLEAR, WE'RE READY AND I'M SURE YOU'LL SEE, THEY'D AGREE, WE'VE WON",
    "The year 2024 had 366 days, and 3.14159 is close to pi.",
    "Numbers: 1,000,000 and 12.5% and $19.99 or 42nd and 3rd place",
    "Café, naïve, résumé, façade, Ångström, São Paulo",
    "decomposed accents: cafe\u0301 and n\u0303",
    "ÉCOLE ÉLÉMENTAIRE, STRASSE, ÄÖÜ",
    "German: Straße and Grüße",
    "Emoji time 😀🎉👍🏽 ❤️ and a family 👨\u200d👩\u200d👧",
    "Tom &amp; Jerry &lt;3 &quot;quoted&quot; &#39;single&#39;",
    "double escaped: &amp;amp; and &amp;lt;tag&amp;gt;",
    "<b>bold</b> text with <i>tags</i>",
    "   leading and trailing spaces   ",
    "line one\nline two\r\n\ttabbed\t\tand  double   spaces",
    "non\u00a0breaking\u00a0space",
    "ALL CAPS SHOUTING!!!",
    "mIxEd CaSe WoRdS",
    "email@example.com and https://example.org/path?q=1&x=2",
    "Hyphen-ated words, em dashes \u2014 en dashes \u2013 and ellipses\u2026",
    "smart quotes \u201chello\u201d and \u2018world\u2019 and it\u2019s",
    "Japanese: 日本語のテキスト",
    "Chinese: 我很高兴",
    "Russian: Привет, мир!",
    "Arabic: مرحبا بالعالم",
    "Greek: Καλημέρα κόσμε",
    "?!...,;:",
    "Apostrophes: rock 'n' roll, o'clock, y'all, the '90s",
    "abc123def 0 007",
    " ".join(["This transcript goes on and on, far beyond the seventy-seven token limit of CLIP's text encoder."] * 5),
    "   \n\t  ",
    "",
]


def make_tokenizer_cases(root):
    st = load_simple_tokenizer()
    ours = ClipTokenizer.from_dir(os.path.join(REPO, "assets", "clip-bpe"))
    cases = []
    for text in TOKENIZER_TEXTS:
        row = st(text, context_length=77)[0].tolist()
        ids = row[: row.index(st.eot_token_id) + 1]
        mine = ours(text)
        assert mine == ids, f"tokenizer differs from SimpleTokenizer on {text!r}: {mine} != {ids}"
        cases.append({"text": text, "ids": ids})
    assert any(len(c["ids"]) == 77 for c in cases)
    out = os.path.join(root, "tokenizer")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"tokenizer: {len(cases)} cases, equal to OpenAI SimpleTokenizer (full vocab)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "Tests", "Fixtures"))
    ap.add_argument("--shapes", nargs="*", default=list(SHAPES))
    a = ap.parse_args()
    torch.set_num_threads(1)   # bit-stable across machines
    transformers.utils.logging.disable_progress_bar()
    torch.use_deterministic_algorithms(True)
    with tempfile.TemporaryDirectory() as tmp:
        vocab, merges = make_vocab.build(make_vocab.find_bpe(), 1000)
        make_vocab.write(tmp, vocab, merges)
        for shape in a.shapes:
            make_shape(shape, SHAPES[shape], tmp, a.out)
    make_tokenizer_cases(a.out)
    for sub in ("models", "parity", "tokenizer"):
        p = os.path.join(a.out, sub)
        print(subprocess.run(["du", "-sh", p], capture_output=True, text=True).stdout.strip())
    print(subprocess.run(["du", "-shc"] + [os.path.join(a.out, s) for s in ("models", "parity", "tokenizer")],
                         capture_output=True, text=True).stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
