"""pytest: the Python binding against the real library and model.
Run by `make test` (EDGELM_LIBRARY and EDGELM_CLI point at the build)."""
import json
import os
import subprocess
import sys
import threading

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Examples", "python"))
import edgelm  # noqa: E402

MODEL = os.path.join(os.path.expanduser(os.environ.get("EDGELM_MODEL_DIR", "~/.cache/edgelm/models")),
                     "SmolLM2-135M-Instruct.Q4_1.gguf")
CLI = os.environ.get("EDGELM_CLI", os.path.join(ROOT, "build", "host", "edgelm"))
GREEDY = {"threads": 2, "context_length": 256, "sampling": {"temperature": 0}}


@pytest.fixture(scope="module")
def model():
    with edgelm.Model(MODEL) as m:
        yield m


def cli_run(prompt, n):
    out = subprocess.run([CLI, "run", "-m", MODEL, "-p", prompt, "-n", str(n), "--temp", "0", "-t", "2", "-c", "256"],
                         check=True, capture_output=True).stdout.decode("utf-8")
    return out[:-1]  # run ends with a newline


def test_model_metadata(model):
    assert model.vocab_size == 49152
    assert model.architecture == "llama"
    assert model.context_length == 8192


def test_greedy_text_equals_cli(model):
    prompt = "The capital of France is"
    with edgelm.Session(model, GREEDY) as s:
        assert s.generate_text(prompt, 16) == cli_run(prompt, 16)
        st = s.stats()
        assert st["generated_tokens"] == 16 and st["prompt_tokens"] == 5
        assert st["decode_tokens_per_second"] > 0 and st["peak_rss_bytes"] > 0
        assert st["streamed_bytes"] == 0 and st["weight_stall_ns"] == 0  # no ram_limit: all resident


def test_stats_report_streaming_under_a_ram_limit(model):
    """Half the file as the cap: the weights stream, the text is unchanged."""
    prompt = "The capital of France is"
    capped = dict(GREEDY, ram_limit=os.path.getsize(MODEL) // 2)
    with edgelm.Session(model, capped) as s:
        assert s.generate_text(prompt, 8) == cli_run(prompt, 8)
        st = s.stats()
        assert st["streamed_bytes"] > 0 and st["weight_stall_ns"] > 0


@pytest.mark.parametrize("spec", [{"mode": "ngram"}, {"mode": "self"}, {"mode": "draft", "draft_model": MODEL}])
def test_speculative_decoding_keeps_the_text_and_reports_counters(model, spec):
    """Greedy text equals plain decoding (the CLI without speculation)."""
    prompt = "Repeat: the quick brown fox jumps over the lazy dog. Again: the quick brown fox"
    with edgelm.Session(model, dict(GREEDY, speculative=spec)) as s:
        assert s.generate_text(prompt, 24) == cli_run(prompt, 24)
        st = s.stats()
        assert 0 < st["target_passes"] < st["generated_tokens"]
        assert 0 < st["accepted_tokens"] <= st["draft_tokens"]


def test_streaming_pieces_are_whole_characters(model):
    with edgelm.Session(model, GREEDY) as s:
        pieces = list(s.generate("Emoji test: 🙂 and 日本語 text:", 24))
    assert len(pieces) > 1
    assert all(p.encode("utf-8").decode("utf-8") == p and "\ufffd" not in p for p in pieces)


def test_closing_the_generator_stops_generation(model):
    with edgelm.Session(model, GREEDY) as s:
        gen = s.generate("Once upon a time", 100)
        first = [next(gen) for _ in range(3)]
        gen.close()
        assert len(first) == 3
        assert s.position < 5 + 100


def test_an_unfinished_generator_is_stopped_by_the_next_call(model):
    prompt = "The capital of France is"
    with edgelm.Session(model, GREEDY) as fresh:
        expected = fresh.generate_text(prompt, 6)
    with edgelm.Session(model, GREEDY) as s:
        gen = s.generate("Once upon a time", 200)
        next(gen)  # left running, neither exhausted nor closed
        s.reset()  # stops and joins it (was EDGELM_ERR_BUSY, or a race)
        assert s.position == 0
        assert s.generate_text(prompt, 6) == expected
        del gen
        gen = s.generate("Once upon a time", 200)
        next(gen)
        s.close()  # frees the session only after its worker has stopped


def test_an_exception_in_the_consuming_loop_stops_generation(model):
    with edgelm.Session(model, GREEDY) as s:
        with pytest.raises(KeyboardInterrupt):
            for _ in s.generate("Once upon a time", 200):
                raise KeyboardInterrupt  # as Ctrl-C would, between pieces
        assert s.position < 5 + 200
        s.reset()
        assert s.generate_text("Hi", 2)


def test_token_loop_matches_generate(model):
    prompt = "1, 2, 3, 4, 5,"
    with edgelm.Session(model, GREEDY) as s:
        expected = s.generate_text(prompt, 6)
        s.reset()
        s.eval(model.tokenize(prompt))
        out = b""
        for _ in range(6):
            t = s.sample()
            out += model.token_to_piece(t)
            s.eval([t])
        assert out.decode("utf-8") == expected
        assert len(s.logits()) == model.vocab_size


def test_tokenize(model):
    assert model.tokenize("<|im_start|>user") == [1, 4093]
    assert model.tokenize("<|im_start|>", parse_special=False) != [1]
    assert model.token_to_piece(1, special=True) == b"<|im_start|>"
    assert model.token_to_piece(1) == b""
    assert model.is_end_of_generation(2)


@pytest.mark.parametrize("bad,needle", [
    ({"threads": "2"}, "threads"),
    ('{"sampling": {"top_p": 1.5}}', "top_p"),
    ('{"threads": 1, "threads": 2}', "threads"),
    ("{} trailing", "trailing"),
    ({"unknown_key": 1}, "unknown_key"),
])
def test_bad_configs_raise_with_the_key(bad, needle):
    with pytest.raises(edgelm.EdgeLMError) as e:
        edgelm.Config(bad)
    assert e.value.status == 5 and e.value.name == "CONFIG" and needle in e.value.message


def test_bad_model_files():
    with pytest.raises(edgelm.EdgeLMError) as e:
        edgelm.Model("/nonexistent/model.gguf")
    assert e.value.name == "IO" and "/nonexistent/model.gguf" in e.value.message
    with pytest.raises(edgelm.EdgeLMError) as e:
        edgelm.Model(__file__)
    assert e.value.name == "FORMAT"


def test_context_full_and_bad_tokens(model):
    with edgelm.Session(model, {"context_length": 32}) as s:
        with pytest.raises(edgelm.EdgeLMError) as e:
            s.generate_text("hello " * 100, 4)
        assert e.value.name == "CONTEXT_FULL"
        with pytest.raises(edgelm.EdgeLMError) as e:
            s.eval([10 ** 6])
        assert e.value.name == "INVALID_ARGUMENT"


def test_cancel_from_another_thread(model):
    with edgelm.Session(model, {"threads": 1, "context_length": 2048}) as s:
        timer = threading.Timer(0.05, s.cancel)
        timer.start()
        with pytest.raises(edgelm.EdgeLMError) as e:
            s.generate_text("hello " * 900, 10)
        timer.join()
        assert e.value.name == "CANCELLED"


def chat_fixture(key):
    """llama.cpp's chat template output (Tests/Fixtures/make_chat_fixtures.py)."""
    with open(os.path.join(ROOT, "Tests", "Fixtures", "chat_templates.json"), encoding="utf-8") as f:
        return json.load(f)["models"][key]["cases"]


def test_chat_apply_equals_llama_cpp(model):
    cases = chat_fixture("smollm2")
    assert len(cases) >= 20
    for c in cases:
        text = model.chat_apply(c["messages"], add_assistant=c["add_assistant"])
        assert text == c["formatted"], (c["name"], c["add_assistant"])
        assert model.tokenize(text) == c["token_ids"], (c["name"], c["add_assistant"])


def test_chat_apply_named_template(model):
    for c in chat_fixture("gemma3"):
        pairs = [(m["role"], m["content"]) for m in c["messages"]]
        assert model.chat_apply(pairs, c["add_assistant"], template="gemma") == c["formatted"], c["name"]


def test_chat_apply_gemma3_model(model):
    """Gemma 3 270M itself (SentencePiece, no template in the file): llama.cpp's
    "gemma" template text and its prompt token ids for every fixture case."""
    gemma = os.path.join(os.path.dirname(MODEL), "gemma-3-270m-q4_k_m.gguf")
    cases = chat_fixture("gemma3")
    with edgelm.Model(gemma) as g:
        with pytest.raises(edgelm.EdgeLMError):
            g.chat_apply([("user", "hi")])  # the base model's file has no chat template
        for c in cases:
            text = g.chat_apply(c["messages"], add_assistant=c["add_assistant"], template="gemma")
            assert text == c["formatted"], (c["name"], c["add_assistant"])
            assert g.tokenize(text) == c["token_ids"], (c["name"], c["add_assistant"])


def test_chat_apply_errors(model):
    with pytest.raises(edgelm.EdgeLMError) as e:
        model.chat_apply([("user", "a"), ("tool", "b")])
    assert "message 1" in e.value.message and "tool" in e.value.message
    with pytest.raises(edgelm.EdgeLMError) as e:
        model.chat_apply([("user", "a")], template="vicuna")
    assert "chatml, gemma, llama3" in e.value.message
    with pytest.raises(edgelm.EdgeLMError):
        model.chat_apply([])


def test_chat_apply_then_generate(model):
    prompt = model.chat_apply([{"role": "user", "content": "What is 2+2?"}])
    with edgelm.Session(model, GREEDY) as s:
        assert s.generate_text(prompt, 8) == cli_run(prompt, 8)
