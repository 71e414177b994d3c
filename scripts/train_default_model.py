#!/usr/bin/env python3
"""Recipe for lmx's shipped default model (models/default/).

A small Llama (model_type "llama") with its own byte-level BPE tokenizer,
trained from scratch on the King James Version of the Bible (public domain),
as shipped by Debian's bible-kjv-text package.

Two steps:

  # 1. On a Debian/Ubuntu machine: apt-get install bible-kjv-text, then
  python3 scripts/train_default_model.py prepare --out .device/train/kjv.txt

  # 2. On a GPU machine with torch, transformers (>= 4.45) and tokenizers:
  PYTHONUNBUFFERED=1 python3 scripts/train_default_model.py train \
      --corpus .device/train/kjv.txt --out OUTDIR --minutes 5

`prepare` writes one chapter per block (blank-line separated), one verse per
line, with chapter headings and verse numbers removed.

`train` holds out 1% of the chapters (every 100th, starting at the 50th) for
validation, trains the tokenizer on the rest, adds chat-formatted examples
(user: a verse, assistant: the verses that follow) so that `lmx chat` answers
in kind, and then runs a small sweep of cosine schedules of different lengths
(AdamW, bf16 autocast, dropout through hooks), keeping the weights with the
lowest validation loss. The result is saved in bfloat16 with save_pretrained,
together with tokenizer.json, tokenizer_config.json (chat template included),
special_tokens_map.json, train_log.txt and samples.txt.
"""

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import time

SPECIALS = ["<unk>", "<s>", "</s>", "<pad>"]  # ids 0..3
UNK, BOS, EOS, PAD = 0, 1, 2, 3

# A plain chat template: role headers, each assistant turn ended by </s>.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}System: {{ message['content'] }}\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}Assistant: {{ message['content'] }}{{ eos_token }}\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


# ---------------------------------------------------------------- prepare
def prepare(args):
    raw = subprocess.run(
        ["bible", "-l100000", "Gen1:1-Rev22:21"],
        check=True, capture_output=True, text=True).stdout
    chapters, cur = [], []
    heading = re.compile(r"^[1-3]?\s?[A-Za-z][A-Za-z ]* \d+$")
    verse = re.compile(r"^\s+\d+ (.*)$")
    for line in raw.splitlines():
        if not line.strip():
            continue
        m = verse.match(line)
        if m:
            cur.append(m.group(1).strip())
        elif heading.match(line.strip()):
            if cur:
                chapters.append(cur)
            cur = []
        else:
            raise SystemExit(f"unexpected line: {line!r}")
    if cur:
        chapters.append(cur)
    nverses = sum(len(c) for c in chapters)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n\n".join("\n".join(c) for c in chapters) + "\n")
    print(f"{len(chapters)} chapters, {nverses} verses -> {args.out}")


# ---------------------------------------------------------------- train
def log_to(path):
    f = open(path, "w")

    def log(*a):
        s = " ".join(str(x) for x in a)
        print(s, flush=True)
        f.write(s + "\n")
        f.flush()
    return log


def build_tokenizer(texts, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", BOS)])
    assert [tok.token_to_id(t) for t in SPECIALS] == [0, 1, 2, 3]
    return tok


def write_tokenizer_files(tok, out, max_len):
    tok.save(os.path.join(out, "tokenizer.json"))
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "special": True} for i, t in enumerate(SPECIALS)}
    cfg = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": added,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": max_len,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                   "pad_token": "<pad>"}, f, indent=2)
        f.write("\n")


def render_chat(messages, add_generation_prompt=False):
    # Same output as CHAT_TEMPLATE (checked against transformers below).
    s = "<s>"
    for m in messages:
        if m["role"] == "system":
            s += f"System: {m['content']}\n"
        elif m["role"] == "user":
            s += f"User: {m['content']}\n"
        elif m["role"] == "assistant":
            s += f"Assistant: {m['content']}</s>\n"
    if add_generation_prompt:
        s += "Assistant:"
    return s


def chat_examples(chapters, per_chapter, rng):
    out = []
    for ch in chapters:
        if len(ch) < 3:
            continue
        for _ in range(per_chapter):
            turns = 2 if rng.random() < 0.3 and len(ch) >= 6 else 1
            i = rng.randrange(0, len(ch) - 1 - 2 * turns + 1) if len(ch) > 2 * turns + 1 else 0
            msgs = []
            for _t in range(turns):
                if i >= len(ch) - 1:
                    break
                k = rng.choice([1, 1, 2, 3])
                reply = " ".join(ch[i + 1:i + 1 + k])
                msgs.append({"role": "user", "content": ch[i]})
                msgs.append({"role": "assistant", "content": reply})
                i = min(i + 1 + k, len(ch) - 1)
            # The stream's final "\n" after </s> is dropped: generation stops at </s>.
            out.append(render_chat(msgs).rstrip("\n"))
    return out


def train(args):
    import torch
    import torch.nn.functional as F
    import transformers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    t_start = time.time()
    out = args.out
    os.makedirs(out, exist_ok=True)
    log = log_to(os.path.join(out, "train_log.txt"))
    log(f"# lmx default model: training log ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})")
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"device {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu'}")
    log("args:", json.dumps(vars(args), sort_keys=True))
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)

    text = open(args.corpus).read()
    chapters = [c.split("\n") for c in text.strip().split("\n\n")]
    val_idx = set(range(50, len(chapters), 100))
    train_ch = [c for i, c in enumerate(chapters) if i not in val_idx]
    val_ch = [c for i, c in enumerate(chapters) if i in val_idx]
    log(f"corpus: {len(chapters)} chapters, {sum(map(len, chapters))} verses, {len(text)} chars; "
        f"val: {len(val_ch)} chapters (every 100th from the 50th)")

    plain_docs = ["\n".join(c) for c in train_ch]
    chats = chat_examples(train_ch, args.chat_per_chapter, rng)
    tok = build_tokenizer(plain_docs + chats, args.vocab)
    vocab = tok.get_vocab_size()
    write_tokenizer_files(tok, out, args.max_pos)
    log(f"tokenizer: byte-level BPE, vocab {vocab}")

    # Check the Jinja template against the Python rendering used for training.
    hf_tok = PreTrainedTokenizerFast.from_pretrained(out)
    probe = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
             {"role": "user", "content": "c"}]
    rendered = hf_tok.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
    if rendered != render_chat(probe, True):
        log(f"WARNING: chat template renders {rendered!r}, expected {render_chat(probe, True)!r}")
    if hf_tok("In the beginning")["input_ids"][0] != BOS:
        log("WARNING: the tokenizer does not add <s>")

    def enc_plain(d):
        return [BOS] + tok.encode(d, add_special_tokens=False).ids + [EOS]

    def enc_chat(s):  # "<s>" and "</s>" inside the string are the special tokens
        return tok.encode(s, add_special_tokens=False).ids

    train_docs = [torch.tensor(enc_plain(d), dtype=torch.int32) for d in plain_docs]
    chat_docs = [torch.tensor(enc_chat(s), dtype=torch.int32) for s in chats]
    assert chat_docs[0][0].item() == BOS and (chat_docs[0] == EOS).any()
    all_docs = train_docs + chat_docs
    n_plain = sum(len(d) for d in train_docs)
    n_chat = sum(len(d) for d in chat_docs)
    ntok = n_plain + n_chat
    log(f"train tokens: {ntok} ({n_plain} plain in {len(train_docs)} chapters, "
        f"{n_chat} chat in {len(chat_docs)} examples); chars/token {sum(map(len, plain_docs)) / n_plain:.2f}")

    L = args.seq_len
    val_stream = torch.cat([torch.tensor(enc_plain("\n".join(c)), dtype=torch.long) for c in val_ch])
    nval = (len(val_stream) - 1) // L
    val_x = val_stream[:nval * L].view(nval, L).to(dev)
    val_y = val_stream[1:nval * L + 1].view(nval, L).to(dev)
    log(f"val tokens: {val_stream.numel()} ({nval} windows of {L}, {nval * L} scored)")

    def epoch_rows(g):
        perm = torch.randperm(len(all_docs), generator=g)
        s = torch.cat([all_docs[i] for i in perm]).long()
        off = int(torch.randint(0, L, (1,), generator=g))
        s = s[off:]
        n = (len(s) - 1) // L
        x = s[:n * L].view(n, L)
        y = s[1:n * L + 1].view(n, L)
        p = torch.randperm(n, generator=g)
        return x[p], y[p]

    cfg = LlamaConfig(
        vocab_size=vocab, hidden_size=args.hidden, intermediate_size=args.ffn,
        num_hidden_layers=args.layers, num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads, head_dim=args.hidden // args.heads,
        max_position_embeddings=args.max_pos, rms_norm_eps=1e-5,
        tie_word_embeddings=True, bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
        attention_bias=False, mlp_bias=False, hidden_act="silu",
        attention_dropout=args.attn_dropout)

    def new_model():
        torch.manual_seed(args.seed)
        m = LlamaForCausalLM(cfg).to(dev)
        p = args.dropout
        hooks = []
        if p > 0:
            def drop(mod, inp, o):
                if isinstance(o, tuple):
                    return (F.dropout(o[0], p, mod.training),) + tuple(o[1:])
                return F.dropout(o, p, mod.training)
            hooks.append(m.model.embed_tokens.register_forward_hook(drop))
            for layer in m.model.layers:
                hooks.append(layer.self_attn.register_forward_hook(drop))
                hooks.append(layer.mlp.register_forward_hook(drop))
        return m

    @torch.no_grad()
    def evaluate(m):
        m.eval()
        tot = 0.0
        for i in range(0, nval, 8):
            with torch.autocast(dev, dtype=torch.bfloat16, enabled=dev == "cuda"):
                logits = m(input_ids=val_x[i:i + 8]).logits
            tot += F.cross_entropy(logits.float().view(-1, logits.size(-1)),
                                   val_y[i:i + 8].reshape(-1), reduction="sum").item()
        m.train()
        return tot / (nval * L)

    m0 = new_model()
    nparam = sum(p.numel() for p in m0.parameters())
    log(f"model: {json.dumps({k: getattr(cfg, k) for k in ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'max_position_embeddings', 'tie_word_embeddings']})}")
    log(f"parameters: {nparam} ({nparam * 2 / 1e6:.2f} MB in bf16)")
    del m0

    B = args.batch
    steps_per_epoch = max(1, (ntok // L) // B)
    budget = args.minutes * 60.0
    t_train0 = time.time()
    best = {"val": float("inf")}
    tok_per_s = None
    results = []
    for epochs in args.sweep:
        total = int(epochs * steps_per_epoch)
        elapsed = time.time() - t_train0
        if tok_per_s is not None:
            need = total * B * L / tok_per_s * 1.1
            if elapsed + need > budget:
                log(f"sweep: skip {epochs} epochs ({total} steps, ~{need:.0f}s; {budget - elapsed:.0f}s left)")
                continue
        log(f"=== run: {epochs} epochs = {total} steps of {B}x{L} tokens, lr {args.lr}, "
            f"warmup {args.warmup}, cosine to {args.min_lr_frac}x, wd {args.wd}, dropout {args.dropout}")
        m = new_model()
        decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in m.named_parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd},
                                 {"params": no_decay, "weight_decay": 0.0}],
                                lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=dev == "cuda")

        def lr_at(s):
            if s < args.warmup:
                return args.lr * (s + 1) / args.warmup
            q = (s - args.warmup) / max(1, total - args.warmup)
            return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * q)))

        g = torch.Generator().manual_seed(args.seed)
        x_ep, y_ep, row = None, None, 0
        eval_every = max(1, min(total // 20, steps_per_epoch * 2))
        run_best = (float("inf"), 0)
        t0 = time.time()
        tl = 0.0
        for s in range(total):
            if x_ep is None or row + B > len(x_ep):
                x_ep, y_ep = epoch_rows(g)
                row = 0
            xb = x_ep[row:row + B].to(dev, non_blocking=True)
            yb = y_ep[row:row + B].to(dev, non_blocking=True)
            row += B
            for grp in opt.param_groups:
                grp["lr"] = lr_at(s)
            with torch.autocast(dev, dtype=torch.bfloat16, enabled=dev == "cuda"):
                logits = m(input_ids=xb).logits
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), yb.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            if (s + 1) % eval_every == 0 or s + 1 == total:
                tl = loss.item()
                vl = evaluate(m)
                dt = time.time() - t0
                tps = (s + 1) * B * L / dt
                log(f"  step {s + 1:6d}/{total} ep {(s + 1) / steps_per_epoch:6.1f} lr {lr_at(s):.2e} "
                    f"train {tl:.4f} val {vl:.4f} ppl {math.exp(vl):7.2f} | {dt:6.1f}s {tps / 1e6:.2f}M tok/s")
                if vl < run_best[0]:
                    run_best = (vl, s + 1)
                if vl < best["val"]:
                    best = {"val": vl, "epochs": epochs, "step": s + 1, "total": total,
                            "train_loss": tl,
                            "state": {k: v.detach().to("cpu", copy=True) for k, v in m.state_dict().items()}}
                if time.time() - t_train0 > budget * 1.05:
                    log("  time budget spent, stopping this run")
                    break
        dt = time.time() - t0
        tok_per_s = (s + 1) * B * L / dt
        results.append((epochs, total, run_best[0], run_best[1], dt))
        log(f"=== run {epochs} epochs: best val {run_best[0]:.4f} at step {run_best[1]}, {dt:.1f}s")
        del m, opt

    log("sweep summary (epochs, steps, best val, at step, seconds):")
    for r in results:
        log(f"  {r[0]:>5} {r[1]:>6} {r[2]:.4f} {r[3]:>6} {r[4]:7.1f}")
    log(f"chosen: the {best['epochs']}-epoch run at step {best['step']}/{best['total']}: "
        f"val loss {best['val']:.4f}, perplexity {math.exp(best['val']):.2f} (fp32 weights, bf16 autocast)")

    # Save in bfloat16.
    m = LlamaForCausalLM(cfg)
    m.load_state_dict(best["state"])
    m = m.to(torch.bfloat16)
    m.generation_config = GenerationConfig(
        bos_token_id=BOS, eos_token_id=EOS, pad_token_id=PAD,
        do_sample=True, temperature=0.8, top_p=0.95, max_length=args.max_pos)
    m.save_pretrained(out, safe_serialization=True)
    cpath = os.path.join(out, "config.json")
    c = json.load(open(cpath))
    # Plain keys too, for readers that predate rope_parameters / "dtype".
    c.setdefault("rope_theta", 10000.0)
    c.setdefault("torch_dtype", "bfloat16")
    with open(cpath, "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")
    for extra in ("chat_template.jinja",):
        if os.path.exists(os.path.join(out, extra)):
            os.remove(os.path.join(out, extra))

    # Reload what was written; measure it; sample from it.
    mr = LlamaForCausalLM.from_pretrained(out, dtype=torch.bfloat16).to(dev).eval()
    vl16 = evaluate(mr)
    log(f"saved checkpoint (bf16 weights) val loss {vl16:.4f}, perplexity {math.exp(vl16):.2f} "
        f"on {nval * L} held-out tokens")
    hf_tok = PreTrainedTokenizerFast.from_pretrained(out)
    try:
        write_samples(args, out, log, mr, hf_tok, tok, EOS, PAD, dev)
    except Exception as e:  # the checkpoint is already saved
        log(f"WARNING: sampling failed: {e!r}")
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out))}
    log("files:", json.dumps(sizes), f"total {sum(sizes.values()) / 1e6:.2f} MB")
    log(f"done in {time.time() - t_start:.0f}s")


def write_samples(args, out, log, mr, hf_tok, tok, EOS, PAD, dev):
    import torch
    samples = open(os.path.join(out, "samples.txt"), "w")

    def sample(title, ids, **kw):
        torch.manual_seed(args.seed)
        inp = torch.tensor([ids], device=dev)
        with torch.no_grad():
            o = mr.generate(input_ids=inp, attention_mask=torch.ones_like(inp), max_new_tokens=80,
                            eos_token_id=EOS, pad_token_id=PAD, **kw)
        gen = o[0, len(ids):].tolist()
        text = hf_tok.decode(gen, skip_special_tokens=False)
        block = f"--- {title}\n{text}\n"
        samples.write(block)
        log(block.rstrip())

    prompts = ["In the beginning", "And Jesus said unto them,", "The LORD is my shepherd;"]
    for p in prompts:
        ids = hf_tok(p)["input_ids"]
        sample(f"greedy | prompt {p!r} | ids {ids}", ids, do_sample=False)
        sample(f"sampled temp 0.8 top_p 0.95 seed {args.seed} | prompt {p!r}", ids,
               do_sample=True, temperature=0.8, top_p=0.95)
    for q in ["Who made the heaven and the earth?", "Hello! What should I do today?"]:
        msgs = [{"role": "user", "content": q}]
        text = hf_tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        ids = tok.encode(text, add_special_tokens=False).ids
        sample(f"chat greedy | user {q!r}", list(ids), do_sample=False)
        sample(f"chat sampled temp 0.8 top_p 0.95 seed {args.seed} | user {q!r}", list(ids),
               do_sample=True, temperature=0.8, top_p=0.95)
    samples.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="write the KJV corpus (needs the bible-kjv package)")
    p.add_argument("--out", required=True)
    t = sub.add_parser("train", help="train tokenizer and model, save to --out")
    t.add_argument("--corpus", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--minutes", type=float, default=6.0, help="training time budget for the sweep")
    t.add_argument("--sweep", type=float, nargs="+", default=[10, 25, 60, 150],
                   help="epochs of each cosine run; the best validation checkpoint of all is kept")
    t.add_argument("--vocab", type=int, default=4096)
    t.add_argument("--hidden", type=int, default=256)
    t.add_argument("--ffn", type=int, default=512)
    t.add_argument("--layers", type=int, default=6)
    t.add_argument("--heads", type=int, default=8)
    t.add_argument("--kv-heads", type=int, default=2)
    t.add_argument("--max-pos", type=int, default=1024)
    t.add_argument("--seq-len", type=int, default=1024)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--min-lr-frac", type=float, default=0.05)
    t.add_argument("--warmup", type=int, default=100)
    t.add_argument("--wd", type=float, default=0.1)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--attn-dropout", type=float, default=0.0)
    t.add_argument("--chat-per-chapter", type=int, default=3)
    t.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    {"prepare": prepare, "train": train}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
