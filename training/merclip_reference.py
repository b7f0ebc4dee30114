"""MER-CLIP reference in PyTorch: model, model directory (merclip-model/1) load/save, HF CLIP import, CLIP tokenizer.

The mathematics follows docs/design.md ("The model") and docs/model-format.md.
    from merclip_reference import MerClip, ClipTokenizer
    m = MerClip.load("path/to/model")            # or MerClip.from_hf_clip("path/to/clip")
    out = m.predict([{"frames": f, "audio": a, "token_ids": ids}, ...])
"""
import copy
import html
import json
import math
import os
import shutil

import ftfy
import regex
import torch

from make_vocab import bytes_to_unicode  # the byte → unicode table of the BPE, one copy
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import (CLIPTextConfig, CLIPTextModelWithProjection, CLIPVisionConfig,
                          CLIPVisionModelWithProjection)
from transformers.masking_utils import create_causal_mask

FORMAT = "merclip-model/1"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VOCAB_DIR = os.path.join(REPO, "assets", "clip-bpe")

VISION_DEFAULT = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                      image_size=224, patch_size=32, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5)
TEXT_DEFAULT = dict(vocab_size=49408, hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                    num_attention_heads=8, max_position_embeddings=77, hidden_act="quick_gelu",
                    layer_norm_eps=1e-5, bos_token_id=49406, eos_token_id=49407)
DECODER_DEFAULT = dict(num_attention_heads=8, intermediate_size=2048, hidden_act="gelu", layer_norm_eps=1e-5)
PREPROCESS_DEFAULT = {
    "frames": 12,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "audio": {"sample_rate": 16000, "window_seconds": 2.0, "max_windows": 12, "n_fft": 1024, "hop_length": 512,
              "n_mels": 224, "f_min": 20.0, "f_max": 8000.0, "mean": -4.0, "std": 4.0},
    "max_text_tokens": 77,
}
DEFAULT_TASKS = [
    {"name": "emotion", "kind": "multi_label", "query": "Emotion", "threshold": 0.6,
     "labels": ["happy", "sad", "angry", "surprise", "disgust", "fear"]},
    {"name": "sentiment", "kind": "single_label", "query": "Sentiment", "labels": ["positive", "negative"]},
]
MODALITIES = ("language", "vision", "audio")
LOGIT_SCALE_INIT = math.log(1 / 0.07)
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


# ----------------------------------------------------------------------------------------------- config

def full_config(cfg):
    """Returns a copy of a config.json dict with every optional key filled with its default."""
    c = copy.deepcopy(cfg)
    if c.get("format") != FORMAT:
        raise ValueError(f"config.json: format is {c.get('format')!r}, expected {FORMAT!r}")
    c.setdefault("name", "merclip")
    c.setdefault("version", "0.0.0")
    c.setdefault("trained", False)
    c.setdefault("projection_dim", 512)
    c["vision"] = {**VISION_DEFAULT, **c.get("vision", {})}
    c["audio"] = {**VISION_DEFAULT, **c.get("audio", {})}
    c["text"] = {**TEXT_DEFAULT, **c.get("text", {})}
    c["decoder"] = {**DECODER_DEFAULT, **c.get("decoder", {})}
    c.setdefault("fusion_order", list(MODALITIES))
    c.setdefault("context_length", 8)
    pre = c.get("preprocess", {})
    c["preprocess"] = {**copy.deepcopy(PREPROCESS_DEFAULT), **pre}
    c["preprocess"]["audio"] = {**PREPROCESS_DEFAULT["audio"], **pre.get("audio", {})}
    tasks = c.get("tasks") or copy.deepcopy(DEFAULT_TASKS)
    for t in tasks:
        if t.get("kind") not in ("multi_label", "single_label"):
            raise ValueError(f"config.json: task {t.get('name')!r} has kind {t.get('kind')!r}")
        t.setdefault("query", "")
        if t["kind"] == "multi_label":
            t.setdefault("threshold", 0.6)
            if len(t["labels"]) < 2:
                raise ValueError(f"config.json: multi_label task {t['name']!r} needs at least 2 labels")
    c["tasks"] = tasks
    if sorted(c["fusion_order"]) != sorted(MODALITIES):
        raise ValueError(f"config.json: fusion_order {c['fusion_order']} is not a permutation of {MODALITIES}")
    if c["decoder"]["hidden_act"] != "gelu":
        raise ValueError("config.json: decoder.hidden_act must be 'gelu'")
    return c


def _vision_hf_config(c, key):
    v = c[key]
    return CLIPVisionConfig(**{k: v[k] for k in VISION_DEFAULT}, projection_dim=c["projection_dim"])


def _text_hf_config(c):
    t = c["text"]
    return CLIPTextConfig(**{k: t[k] for k in TEXT_DEFAULT}, projection_dim=c["projection_dim"],
                          pad_token_id=t["eos_token_id"])


# -------------------------------------------------------------------------------------------- tokenizer

class ClipTokenizer:
    """OpenAI's CLIP BPE rules over a Hugging Face vocab.json + merges.txt.

    clean: ftfy.fix_text, html.unescape twice, strip; whitespace runs -> one space; lower-case.
    split: 's 't 're 've 'm 'll 'd | letters+ | one digit | other non-space+ ; byte-level BPE with '</w>'.
    Special-token strings in the text are NOT turned into special ids (plain text, unlike SimpleTokenizer).
    """
    PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)

    def __init__(self, vocab_path, merges_path, max_tokens=77):
        with open(vocab_path, encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[0].startswith("#version"):
            lines = lines[1:]
        self.ranks = {tuple(l.split()): i for i, l in enumerate(x for x in lines if x.strip())}
        self.byte_encoder = bytes_to_unicode()
        self.sos = self.encoder["<|startoftext|>"]
        self.eos = self.encoder["<|endoftext|>"]
        self.max_tokens = max_tokens
        self.cache = {}

    @classmethod
    def from_dir(cls, d, max_tokens=77):
        return cls(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"), max_tokens)

    @staticmethod
    def clean(text):
        text = ftfy.fix_text(text)
        text = html.unescape(html.unescape(text)).strip()
        return " ".join(text.split()).strip().lower()

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            new, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    new.extend(word[i:])
                    break
                new.extend(word[i:j])
                i = j
                if i < len(word) - 1 and word[i + 1] == second:
                    new.append(first + second)
                    i += 2
                else:
                    new.append(word[i])
                    i += 1
            word = tuple(new)
        self.cache[token] = word
        return word

    def encode(self, text):
        """BPE ids of the cleaned text, without SOS/EOS."""
        ids = []
        for piece in self.PAT.findall(self.clean(text)):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(piece))
        return ids

    def __call__(self, text):
        """SOS + ids + EOS, at most max_tokens; truncation keeps EOS as the last token."""
        ids = [self.sos] + self.encode(text) + [self.eos]
        if len(ids) > self.max_tokens:
            ids = ids[: self.max_tokens]
            ids[-1] = self.eos
        return ids


# ------------------------------------------------------------------------------------------------ model

class CrossModalDecoder(nn.Module):
    """One pre-norm decoder layer per modality (fusion order) and a final LayerNorm."""

    def __init__(self, d, heads, ffn, eps, n_layers=3):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.TransformerDecoderLayer(d, heads, ffn, dropout=0.0, activation="gelu", layer_norm_eps=eps,
                                       batch_first=True, norm_first=True) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, z0, feats):
        """z0 [B,d]; feats: per layer (X [B,T,d], lengths [B]); a segment with length 0 skips that layer."""
        z = z0.unsqueeze(1)
        for layer, (x, lengths) in zip(self.layers, feats):
            idx = (lengths > 0).nonzero().squeeze(1)
            if idx.numel() == 0:
                continue
            xs = x[idx]
            pad = torch.arange(xs.shape[1], device=xs.device)[None, :] >= lengths[idx][:, None]
            z = z.index_copy(0, idx, layer(z[idx], xs, memory_key_padding_mask=pad))
        return self.norm(z.squeeze(1))


class TaskHead(nn.Module):
    def __init__(self, n_ctx, text_width, d, dec):
        super().__init__()
        self.ctx = nn.Parameter(torch.randn(n_ctx, text_width) * 0.02)
        self.logit_scale = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT))
        self.cmd = CrossModalDecoder(d, dec["num_attention_heads"], dec["intermediate_size"], dec["layer_norm_eps"])


def text_hidden(tower, inputs_embeds):
    """CLIP text transformer from token embeddings [B,T,W]: + positions, causal layers, final LayerNorm."""
    tm = tower.text_model
    h = tm.embeddings(inputs_embeds=inputs_embeds)
    mask = create_causal_mask(config=tm.config, inputs_embeds=h, attention_mask=None, cache=None)
    h = tm.encoder(inputs_embeds=h, attention_mask=mask, is_causal=True).last_hidden_state
    return tm.final_layer_norm(h)


def first_eos(ids, eos):
    return (ids == eos).int().argmax(dim=-1)


class MerClip(nn.Module):
    def __init__(self, config):
        super().__init__()
        c = full_config(config)
        self.config = c
        self.vision = CLIPVisionModelWithProjection(_vision_hf_config(c, "vision"))
        self.audio = CLIPVisionModelWithProjection(_vision_hf_config(c, "audio"))
        self.language = CLIPTextModelWithProjection(_text_hf_config(c))
        self.label = CLIPTextModelWithProjection(_text_hf_config(c))
        self.label.requires_grad_(False)
        self.tasks = nn.ModuleDict({t["name"]: TaskHead(c["context_length"], c["text"]["hidden_size"],
                                                        c["projection_dim"], c["decoder"]) for t in c["tasks"]})
        self.tokenizer = None
        self.vocab_dir = None
        self.eval()

    # ---- directory format

    @classmethod
    def load(cls, d):
        with open(os.path.join(d, "config.json"), encoding="utf-8") as f:
            m = cls(json.load(f))
        tensors = load_file(os.path.join(d, "model.safetensors"))
        tensors = {k: v for k, v in tensors.items() if not k.endswith("position_ids")}
        own = {k for k in m.state_dict() if not k.endswith("position_ids")}
        unexpected = sorted(set(tensors) - own)
        missing = sorted(own - set(tensors))
        if unexpected or missing:
            raise ValueError(f"{d}/model.safetensors: unexpected tensors {unexpected[:5]}, missing {missing[:5]}")
        sd = m.state_dict()
        for k, v in tensors.items():
            if v.shape != sd[k].shape:
                raise ValueError(f"{d}/model.safetensors: {k} has shape {list(v.shape)}, expected {list(sd[k].shape)}")
        m.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)
        m.set_vocab(d)
        return m

    def set_vocab(self, d):
        self.vocab_dir = d
        self.tokenizer = ClipTokenizer.from_dir(d, self.config["preprocess"]["max_text_tokens"])
        t = self.config["text"]
        if (self.tokenizer.sos, self.tokenizer.eos) != (t["bos_token_id"], t["eos_token_id"]):
            raise ValueError(f"{d}/vocab.json: SOS/EOS ids {self.tokenizer.sos}/{self.tokenizer.eos} differ from "
                             f"config text.bos_token_id/eos_token_id {t['bos_token_id']}/{t['eos_token_id']}")

    def tensors(self, dtype="F32"):
        return {k: v.detach().to(DTYPES[dtype]).contiguous().clone()
                for k, v in self.state_dict().items() if not k.endswith("position_ids")}

    def save(self, d, dtype="F32"):
        os.makedirs(d, exist_ok=True)
        save_file(self.tensors(dtype), os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        with open(os.path.join(d, "config.json"), "w", encoding="utf-8") as f:
            json.dump(self.config, f, indent=2)
            f.write("\n")
        for name in ("vocab.json", "merges.txt"):
            src = os.path.join(self.vocab_dir, name)
            if os.path.abspath(src) != os.path.abspath(os.path.join(d, name)):
                shutil.copyfile(src, os.path.join(d, name))

    @classmethod
    def from_hf_clip(cls, clip_dir, tasks=None, name="merclip", version="0.0.0", vocab_dir=None, seed=0, decoder=None):
        """Imports an HF CLIP directory: encoders copied (vision->vision,audio; text->language,label), heads fresh."""
        with open(os.path.join(clip_dir, "config.json"), encoding="utf-8") as f:
            hc = json.load(f)
        if "vision_config" not in hc or "text_config" not in hc:
            raise ValueError(f"{clip_dir}/config.json: not a CLIP config (no vision_config/text_config)")
        vocab_dir = vocab_dir or (clip_dir if os.path.exists(os.path.join(clip_dir, "vocab.json")) else DEFAULT_VOCAB_DIR)
        tok = ClipTokenizer.from_dir(vocab_dir)
        vc, tc = hc["vision_config"], hc["text_config"]
        vision = {k: vc.get(k, VISION_DEFAULT[k]) for k in VISION_DEFAULT}
        text = {k: tc.get(k, TEXT_DEFAULT[k]) for k in TEXT_DEFAULT}
        text["bos_token_id"], text["eos_token_id"] = tok.sos, tok.eos   # old HF configs say eos_token_id 2
        cfg = {"format": FORMAT, "name": name, "version": version, "trained": False,
               "projection_dim": hc.get("projection_dim", 512), "vision": vision, "audio": dict(vision), "text": text,
               "decoder": {**DECODER_DEFAULT, **(decoder or {})}, "fusion_order": list(MODALITIES), "context_length": 8,
               "preprocess": copy.deepcopy(PREPROCESS_DEFAULT), "tasks": copy.deepcopy(tasks or DEFAULT_TASKS)}
        cfg["preprocess"]["audio"]["n_mels"] = vision["image_size"]   # one spectrogram row per mel band
        torch.manual_seed(seed)
        m = cls(cfg)
        src = _read_safetensors_dir(clip_dir)
        sd = {}
        for k, v in src.items():
            if k.endswith("position_ids") or k == "logit_scale":
                continue
            if k.startswith("vision_model.") or k == "visual_projection.weight":
                sd["vision." + k] = v
                sd["audio." + k] = v
            elif k.startswith("text_model.") or k == "text_projection.weight":
                sd["language." + k] = v
                sd["label." + k] = v
            else:
                raise ValueError(f"{clip_dir}: unexpected tensor {k}")
        own = {k for k in m.state_dict() if k.split(".")[0] != "tasks" and not k.endswith("position_ids")}
        missing = sorted(own - set(sd))
        if missing:
            raise ValueError(f"{clip_dir}: missing tensors {missing[:5]}")
        m.load_state_dict({k: v.float().clone() for k, v in sd.items()}, strict=False)
        m.set_vocab(vocab_dir)
        return m

    @property
    def device(self):
        return self.label.text_projection.weight.device

    # ---- encoders

    def encode_images(self, tower, pixels):
        """[N,3,H,W] -> [N,d]: projection(post_layernorm(CLS))."""
        return tower(pixel_values=pixels).image_embeds

    def encode_tokens(self, ids):
        """[B,T] token ids -> [B,T,d]: text_projection(final_layer_norm(h)) at every position."""
        return self.language.text_projection(self.language.text_model(input_ids=ids).last_hidden_state)

    def prompt(self, word):
        return " ".join(["X"] * self.config["context_length"]) + f" {word}."

    def label_encode(self, task, texts):
        """Label encoder with the task's ctx at positions 1..n_ctx -> projection at EOS [n, d] (not normalised)."""
        seqs = [self.tokenizer(self.prompt(t)) for t in texts]
        n = max(len(s) for s in seqs)
        eos = self.tokenizer.eos
        ids = torch.tensor([s + [eos] * (n - len(s)) for s in seqs], device=self.tasks[task].ctx.device)
        emb = self.label.text_model.embeddings.token_embedding(ids)
        ctx = self.tasks[task].ctx
        k = ctx.shape[0]
        emb = torch.cat([emb[:, :1], ctx.unsqueeze(0).expand(len(seqs), -1, -1), emb[:, 1 + k:]], dim=1)
        h = text_hidden(self.label, emb)
        pooled = h[torch.arange(len(seqs), device=ids.device), first_eos(ids, eos)]
        return self.label.text_projection(pooled)

    def label_embeddings(self, task, labels=None):
        """(E [L,d] L2-normalised label embeddings, query Z^E [d])."""
        t = self.task_config(task)
        out = self.label_encode(task, list(labels or t["labels"]) + [t["query"]])
        return F.normalize(out[:-1], dim=-1), out[-1]

    def task_config(self, task):
        return next(t for t in self.config["tasks"] if t["name"] == task)

    # ---- segments

    def features(self, segments):
        """Per modality: (X [B,T,d] zero-padded, lengths [B]); and the unpadded list per segment (None if absent).

        A segment is a dict with "frames" [F,3,H,W], "audio" [T_A,3,H,W] (tensors or None) and
        "token_ids" (list of ints SOS..EOS or None)."""
        d = self.config["projection_dim"]
        out, per = {}, {}
        for mod, key, tower in (("vision", "frames", self.vision), ("audio", "audio", self.audio)):
            xs = [s.get(key) for s in segments]
            present = [x for x in xs if x is not None and len(x) > 0]
            flat = self.encode_images(tower, torch.cat(present)) if present else None
            lists, i = [], 0
            for x in xs:
                if x is None or len(x) == 0:
                    lists.append(None)
                else:
                    lists.append(flat[i:i + len(x)])
                    i += len(x)
            per[mod] = lists
        seqs = [s.get("token_ids") for s in segments]
        present = [q for q in seqs if q]
        lists = [None] * len(seqs)
        if present:
            n = max(len(q) for q in present)
            eos = self.config["text"]["eos_token_id"]
            ids = torch.tensor([q + [eos] * (n - len(q)) for q in present], device=self.device)
            h = self.encode_tokens(ids)
            j = 0
            for i, q in enumerate(seqs):
                if q:
                    lists[i] = h[j, :len(q)]
                    j += 1
        per["language"] = lists
        for mod, lists in per.items():
            lengths = torch.tensor([0 if x is None else x.shape[0] for x in lists], device=self.device)
            t = max(1, int(lengths.max()))
            x = torch.zeros(len(lists), t, d, device=self.device)
            for i, f in enumerate(lists):
                if f is not None:
                    x[i, :f.shape[0]] = f
            out[mod] = (x, lengths)
        return out, per

    def forward(self, segments, label_cache=None):
        """Per task: dict with Z [B,d], s [B,L], logits, probs [B,L], predicted (list), E, query."""
        feats, per = self.features(segments)
        order = self.config["fusion_order"]
        results = {}
        for t in self.config["tasks"]:
            name = t["name"]
            E, q = label_cache[name] if label_cache else self.label_embeddings(name)
            z0 = q.unsqueeze(0).expand(len(segments), -1)
            Z = self.tasks[name].cmd(z0, [feats[m] for m in order])
            s = F.normalize(Z, dim=-1) @ E.T
            if t["kind"] == "multi_label":
                logits = (s - s.mean(-1, keepdim=True)) / s.std(-1, keepdim=True, unbiased=True)
                probs = torch.sigmoid(logits)
                pred = [[t["labels"][j] for j in range(len(t["labels"])) if p[j] > t["threshold"]] for p in probs]
            else:
                logits = self.tasks[name].logit_scale.exp() * s
                probs = torch.softmax(logits, dim=-1)
                pred = [t["labels"][int(j)] for j in probs.argmax(-1)]
            results[name] = {"Z": Z, "s": s, "logits": logits, "probs": probs, "predicted": pred, "E": E, "query": q}
        results["_features"] = per
        return results

    @torch.inference_mode()
    def predict(self, segments):
        return self(segments)


def _read_safetensors_dir(d):
    single = os.path.join(d, "model.safetensors")
    if os.path.exists(single):
        return load_file(single)
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        out = {}
        for name in files:
            out.update(load_file(os.path.join(d, name)))
        return out
    raise FileNotFoundError(f"{d}: no model.safetensors or model.safetensors.index.json")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Import an HF CLIP directory into a MER-CLIP model directory.")
    ap.add_argument("clip_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--name", default="merclip-vit-b-32")
    ap.add_argument("--version", default="0.0.0")
    ap.add_argument("--dtype", default="F32", choices=sorted(DTYPES))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    model = MerClip.from_hf_clip(a.clip_dir, name=a.name, version=a.version, seed=a.seed)
    model.save(a.out_dir, a.dtype)
    print(f"{a.out_dir}: imported from {a.clip_dir} ({a.dtype}), trained=false")
