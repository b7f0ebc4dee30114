"""Recomputes every committed fixture output from the committed files and compares (the reference reloaded).

    python training/check_fixtures.py [--root Tests/Fixtures] [--rtol 1e-5]
Exits 1 on any difference. Also checks tokenizer/cases.json against this reference's tokenizer.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from transformers import CLIPModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from merclip_reference import REPO, ClipTokenizer, MerClip  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.join(REPO, "Tests", "Fixtures"))
    ap.add_argument("--rtol", type=float, default=1e-5)
    a = ap.parse_args()
    failures = []

    def compare(what, got, path):
        want = np.load(path)
        got = got.detach().float().numpy()
        if got.shape != want.shape:
            failures.append(f"{what}: shape {got.shape} != {want.shape}")
            return
        scale = max(float(np.abs(want).max()), 1e-6)
        err = float(np.abs(got - want).max()) / scale
        if err > a.rtol:
            failures.append(f"{what}: max error {err:.2e} of max |x| (rtol {a.rtol})")

    torch.set_num_threads(1)
    parity = os.path.join(a.root, "parity")
    for shape in sorted(os.listdir(parity)):
        par = os.path.join(parity, shape)
        with open(os.path.join(par, "expected.json")) as f:
            exp = json.load(f)
        clip = CLIPModel.from_pretrained(os.path.join(a.root, exp["clip"]), dtype=torch.float32).eval()
        m = MerClip.load(os.path.join(a.root, exp["model"]))
        with open(os.path.join(par, "segments.json")) as f:
            rows = json.load(f)
        segs = []
        for r in rows:
            seg = {k: torch.from_numpy(np.load(os.path.join(par, r[k]))) if r[k] else None for k in ("frames", "audio")}
            seg["token_ids"] = r["token_ids"]
            if r["transcript"] is not None and m.tokenizer(r["transcript"]) != r["token_ids"]:
                failures.append(f"{shape}/{r['id']}: token_ids differ from the tokenizer's")
            segs.append(seg)
        lines = [list(map(int, l.split())) for l in open(os.path.join(par, "token_ids.txt")) if l.strip()]
        with torch.inference_mode():
            pix = torch.from_numpy(np.load(os.path.join(par, "pixels.npy")))
            compare(f"{shape} image_embeds", clip.get_image_features(pixel_values=pix).pooler_output,
                    os.path.join(par, "image_embeds.npy"))
            text = torch.cat([clip.get_text_features(input_ids=torch.tensor([l])).pooler_output for l in lines])
            compare(f"{shape} text_embeds", text, os.path.join(par, "text_embeds.npy"))
            out = m.predict(segs)
        for i, r in enumerate(rows):
            for mod in ("vision", "audio", "language"):
                path = os.path.join(par, f"features_{r['id']}_{mod}.npy")
                x = out["_features"][mod][i]
                if (x is None) != (not os.path.exists(path)):
                    failures.append(f"{shape} {r['id']} {mod}: presence differs")
                elif x is not None:
                    compare(f"{shape} features {r['id']} {mod}", x, path)
        for t in exp["tasks"]:
            r = out[t["name"]]
            for key, name in (("Z", "cmd"), ("probs", "probs"), ("E", "label_embeds"), ("query", "query")):
                compare(f"{shape} {name}_{t['name']}", r[key], os.path.join(par, f"{name}_{t['name']}.npy"))
            if r["predicted"] != t["predicted"]:
                failures.append(f"{shape} {t['name']}: predicted {r['predicted']} != {t['predicted']}")
        print(f"{shape}: checked {len(rows)} segments, {len(exp['tasks'])} tasks, {len(lines)} text lines")

    tok = ClipTokenizer.from_dir(os.path.join(REPO, "assets", "clip-bpe"))
    with open(os.path.join(a.root, "tokenizer", "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    for c in cases:
        if tok(c["text"]) != c["ids"]:
            failures.append(f"tokenizer: {c['text']!r}")
    print(f"tokenizer: checked {len(cases)} cases")
    for msg in failures:
        print("FAIL", msg)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
