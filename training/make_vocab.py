"""Writes the CLIP BPE vocabulary in Hugging Face's format (vocab.json + merges.txt).

Source: bpe_simple_vocab_16e6.txt.gz from the open_clip_torch wheel (OpenAI's file).
    python training/make_vocab.py --out assets/clip-bpe [--merges N]
--merges N keeps only the first N merges (a small but valid CLIP BPE for tiny test models).
"""
import argparse, gzip, json, os, sys


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def find_bpe():
    import importlib.util
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("open_clip_torch is not installed: pip install open_clip_torch --no-deps")
    return os.path.join(list(spec.submodule_search_locations)[0], "bpe_simple_vocab_16e6.txt.gz")


def build(bpe_path, n_merges=None):
    merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = merges[1:49152 - 256 - 2 + 1]
    if n_merges is not None:
        merges = merges[:n_merges]
    merges = [tuple(m.split()) for m in merges]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(vocab)}, merges


def write(out, vocab, merges):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(out, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--merges", type=int, default=None)
    ap.add_argument("--bpe", default=None, help="path of bpe_simple_vocab_16e6.txt.gz (default: from open_clip)")
    a = ap.parse_args()
    vocab, merges = build(a.bpe or find_bpe(), a.merges)
    write(a.out, vocab, merges)
    print(f"{a.out}: {len(vocab)} tokens, {len(merges)} merges")
