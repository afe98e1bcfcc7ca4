"""A tiny, real llama-architecture GGUF model, generated from a seed.

    sha256_hex = write_tiny_gguf(path, seed=0)

Architecture ``llama``: 2 blocks, embedding 64, 4 heads, feed-forward 128,
context 256; tokenizer model ``llama`` (SentencePiece-style) with
``<unk>``, ``<s>``, ``</s>``, the 256 byte tokens ``<0x00>``..``<0xFF>``
(token type 6) and a few normal tokens; float32 weights drawn from a
seeded generator. About 470 KB. The same seed gives the same bytes, so the
sha256 is stable; llama-server loads it and serves noise text.

Needs the ``gguf`` and ``numpy`` packages (requirements-test.txt).
Stand-alone: ``python tests/support/tiny_gguf.py OUT.gguf [--seed N]``
prints the sha256.
"""

import argparse
import hashlib
import os

import gguf
import numpy

BLOCKS = 2
EMBEDDING = 64
HEADS = 4
FEED_FORWARD = 128
CONTEXT = 256
NORMAL_TOKENS = ["\u2581", "\u2581the", "\u2581a", "\u2581agent", "\u2581model", "e", "t", "a", "o", "n"]


def vocabulary():
    """(tokens, scores, token types) of the tokenizer."""
    tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % value for value in range(256)] + NORMAL_TOKENS
    types = ([gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
             + [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * len(NORMAL_TOKENS))
    scores = [0.0, 0.0, 0.0] + [0.0] * 256 + [-float(rank) for rank in range(1, len(NORMAL_TOKENS) + 1)]
    return tokens, scores, [int(kind) for kind in types]


def tensors(seed, vocab_size):
    """Tensor name -> float32 array (numpy shape is the reverse of GGUF's ne)."""
    generator = numpy.random.default_rng(seed)

    def weights(*shape):
        return (generator.standard_normal(shape) * 0.02).astype(numpy.float32)

    def ones(size):
        return numpy.ones((size,), dtype=numpy.float32)

    named = {"token_embd.weight": weights(vocab_size, EMBEDDING)}
    for block in range(BLOCKS):
        prefix = "blk.%d." % block
        named[prefix + "attn_norm.weight"] = ones(EMBEDDING)
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            named[prefix + part + ".weight"] = weights(EMBEDDING, EMBEDDING)
        named[prefix + "ffn_norm.weight"] = ones(EMBEDDING)
        named[prefix + "ffn_gate.weight"] = weights(FEED_FORWARD, EMBEDDING)
        named[prefix + "ffn_up.weight"] = weights(FEED_FORWARD, EMBEDDING)
        named[prefix + "ffn_down.weight"] = weights(EMBEDDING, FEED_FORWARD)
    named["output_norm.weight"] = ones(EMBEDDING)
    named["output.weight"] = weights(vocab_size, EMBEDDING)
    return named


def write_tiny_gguf(path, seed=0):
    """Write the model to ``path`` (via a temp file and rename) and return its sha256 as hex."""
    path = str(path)
    tokens, scores, types = vocabulary()
    temp = path + ".tmp"
    writer = gguf.GGUFWriter(temp, "llama")
    writer.add_name("agent-machine-tiny-%d" % seed)
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBEDDING)
    writer.add_block_count(BLOCKS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(EMBEDDING // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    for name, array in tensors(seed, len(tokens)).items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(temp, path)
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description="Write the tiny test GGUF model")
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_tiny_gguf(args.path, args.seed))


if __name__ == "__main__":
    main()
