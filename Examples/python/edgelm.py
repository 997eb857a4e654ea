"""EdgeLM from Python: a ctypes binding of libedgelm.so (Include/edgelm.h).

    import edgelm
    with edgelm.Model("SmolLM2-135M-Instruct.Q4_1.gguf") as model, \\
         edgelm.Session(model, {"threads": 2, "sampling": {"temperature": 0}}) as session:
        for piece in session.generate("The capital of France is", max_tokens=16):
            print(piece, end="", flush=True)

The library is found through $EDGELM_LIBRARY, next to this file, in the
source tree's build/host, or on the system's library path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import queue
import threading
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

__all__ = ["EdgeLMError", "Config", "Model", "Session", "library_version", "TOKENIZE_ADD_SPECIAL",
           "TOKENIZE_PARSE_SPECIAL"]

TOKENIZE_ADD_SPECIAL = 1
TOKENIZE_PARSE_SPECIAL = 2
PIECE_SPECIAL = 1
NO_VALUE = -(2 ** 31)

STATUS_NAMES = {
    0: "OK", 1: "INVALID_ARGUMENT", 2: "IO", 3: "FORMAT", 4: "UNSUPPORTED", 5: "CONFIG",
    6: "RESOURCE_LIMIT", 7: "OUT_OF_MEMORY", 8: "CONTEXT_FULL", 9: "CANCELLED", 10: "TOKENIZE",
    11: "INTERNAL", 12: "BUSY",
}


class EdgeLMError(Exception):
    """A failed EdgeLM call: `status` is the EDGELM_* code, `name` its name
    ("CONFIG", ...), and the message says what was wrong."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.name = STATUS_NAMES.get(status, "UNKNOWN")
        self.message = message
        super().__init__(f"EDGELM_ERR_{self.name} ({status}): {message}")


def _find_library() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("EDGELM_LIBRARY"), os.path.join(here, "libedgelm.so"),
                  os.path.join(here, "..", "..", "build", "host", "libedgelm.so")]
    for c in candidates:
        if c and os.path.exists(c):
            return c
    found = ctypes.util.find_library("edgelm")
    if found:
        return found
    raise OSError("libedgelm.so not found: set EDGELM_LIBRARY or run `make lib`")


_lib = ctypes.CDLL(_find_library())
_P = ctypes.c_void_p
_TOKEN_FN = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(ctypes.c_char), ctypes.c_size_t,
                             ctypes.c_int32, ctypes.c_void_p)


class _ChatMessage(ctypes.Structure):
    _fields_ = [("role", ctypes.c_char_p), ("content", ctypes.c_char_p)]


class _Stats(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("prompt_tokens", ctypes.c_int32),
                ("generated_tokens", ctypes.c_int32), ("prompt_tokens_per_second", ctypes.c_double),
                ("decode_tokens_per_second", ctypes.c_double), ("peak_rss_bytes", ctypes.c_uint64),
                ("draft_tokens", ctypes.c_int32), ("accepted_tokens", ctypes.c_int32),
                # weight streaming under ram_limit (edgelm.h: size >= 72)
                ("storage_read_bytes", ctypes.c_uint64), ("weight_stall_ns", ctypes.c_uint64),
                ("streamed_bytes", ctypes.c_uint64),
                # speculative decoding (edgelm.h: size >= 80)
                ("target_passes", ctypes.c_int32)]


def _sig(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_sig("edgelm_version_number", ctypes.c_uint32)
_sig("edgelm_last_error", ctypes.c_char_p)
_sig("edgelm_config_parse", ctypes.c_int32, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_P))
_sig("edgelm_config_load", ctypes.c_int32, ctypes.c_char_p, ctypes.POINTER(_P))
_sig("edgelm_config_free", None, _P)
_sig("edgelm_model_load", ctypes.c_int32, ctypes.c_char_p, _P, ctypes.POINTER(_P))
_sig("edgelm_model_free", None, _P)
for _n in ("n_vocab", "n_ctx_train", "n_layer", "n_embd", "token_bos", "token_eos"):
    _sig(f"edgelm_model_{_n}", ctypes.c_int32, _P)
_sig("edgelm_model_architecture", ctypes.c_char_p, _P)
_sig("edgelm_model_token_is_eog", ctypes.c_bool, _P, ctypes.c_int32)
_sig("edgelm_tokenize", ctypes.c_int32, _P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int32),
     ctypes.c_int32, ctypes.c_int32)
_sig("edgelm_token_to_piece", ctypes.c_int32, _P, ctypes.c_int32, ctypes.c_char_p, ctypes.c_int32, ctypes.c_int32)
_sig("edgelm_chat_apply", ctypes.c_int32, _P, ctypes.c_char_p, ctypes.POINTER(_ChatMessage), ctypes.c_size_t,
     ctypes.c_int32, ctypes.c_char_p, ctypes.c_int32)
_sig("edgelm_session_new", ctypes.c_int32, _P, _P, ctypes.POINTER(_P))
_sig("edgelm_session_free", None, _P)
_sig("edgelm_session_reset", ctypes.c_int32, _P)
_sig("edgelm_session_cancel", None, _P)
_sig("edgelm_session_n_ctx", ctypes.c_int32, _P)
_sig("edgelm_session_n_past", ctypes.c_int32, _P)
_sig("edgelm_generate", ctypes.c_int32, _P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int32, _TOKEN_FN, _P)
_sig("edgelm_eval", ctypes.c_int32, _P, ctypes.POINTER(ctypes.c_int32), ctypes.c_int32)
_sig("edgelm_logits", ctypes.POINTER(ctypes.c_float), _P)
_sig("edgelm_sample", ctypes.c_int32, _P, ctypes.POINTER(ctypes.c_int32))
_sig("edgelm_session_stats", ctypes.c_int32, _P, ctypes.POINTER(_Stats))


def _check(status: int) -> None:
    if status != 0:
        raise EdgeLMError(status, (_lib.edgelm_last_error() or b"").decode("utf-8", "replace"))


def library_version() -> int:
    """EDGELM_VERSION_NUMBER of the loaded library."""
    return _lib.edgelm_version_number()


class Config:
    """A validated JSON config (threads, ram_limit, context_length, sampling, ...)."""

    def __init__(self, config: Union[str, bytes, Dict[str, Any], None] = None, *, path: Optional[str] = None):
        self._handle = _P()
        if path is not None:
            _check(_lib.edgelm_config_load(os.fsencode(path), ctypes.byref(self._handle)))
            return
        if config is None:
            config = {}
        data = config if isinstance(config, bytes) else (
            config.encode("utf-8") if isinstance(config, str) else json.dumps(config).encode("utf-8"))
        _check(_lib.edgelm_config_parse(data, len(data), ctypes.byref(self._handle)))

    @staticmethod
    def of(config: Union["Config", str, bytes, Dict[str, Any], None]) -> "Config":
        return config if isinstance(config, Config) else Config(config)

    def close(self) -> None:
        if self._handle:
            _lib.edgelm_config_free(self._handle)
            self._handle = _P()

    def __enter__(self) -> "Config":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class Model:
    """A loaded GGUF model; read-only and shareable by many sessions."""

    def __init__(self, path: str, config: Union[Config, str, Dict[str, Any], None] = None):
        self._handle = _P()
        cfg = Config.of(config)
        _check(_lib.edgelm_model_load(os.fsencode(path), cfg._handle, ctypes.byref(self._handle)))

    @property
    def vocab_size(self) -> int:
        return _lib.edgelm_model_n_vocab(self._handle)

    @property
    def context_length(self) -> int:
        """The context length the model was trained with."""
        return _lib.edgelm_model_n_ctx_train(self._handle)

    @property
    def architecture(self) -> str:
        return _lib.edgelm_model_architecture(self._handle).decode()

    def tokenize(self, text: Union[str, bytes], add_special: bool = True, parse_special: bool = True) -> List[int]:
        data = text.encode("utf-8") if isinstance(text, str) else text
        flags = (TOKENIZE_ADD_SPECIAL if add_special else 0) | (TOKENIZE_PARSE_SPECIAL if parse_special else 0)
        n = _lib.edgelm_tokenize(self._handle, data, len(data), None, 0, flags)
        if n == NO_VALUE:
            _check(1)
        out = (ctypes.c_int32 * max(-n, n, 1))()
        n = _lib.edgelm_tokenize(self._handle, data, len(data), out, len(out), flags)
        return list(out[:n])

    def token_to_piece(self, token: int, special: bool = False) -> bytes:
        """The bytes of one token (may be part of a UTF-8 character)."""
        buf = ctypes.create_string_buffer(64)
        n = _lib.edgelm_token_to_piece(self._handle, token, buf, 64, PIECE_SPECIAL if special else 0)
        if n == NO_VALUE:
            _check(1)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = _lib.edgelm_token_to_piece(self._handle, token, buf, -n, PIECE_SPECIAL if special else 0)
        return buf.raw[:n]

    def chat_apply(self, messages: Sequence[Union[Dict[str, str], Sequence[str]]], add_assistant: bool = True,
                   template: Optional[str] = None) -> str:
        """Formats a conversation as the model's chat template does (llama.cpp's
        llama_chat_apply_template). `messages` are {"role": ..., "content": ...}
        dicts or (role, content) pairs, roles "system", "user", "assistant".
        `template` is a built-in name ("chatml", "gemma", "llama3", ...) or
        None for the model's own. The result has no BOS: pass it to
        Session.generate or tokenize() it. Raises EdgeLMError for a bad role,
        no messages, or an unknown or missing template (the message lists the
        names to pass)."""
        pairs = [(m["role"], m["content"]) if isinstance(m, dict) else (m[0], m[1]) for m in messages]
        encoded = [(r.encode("utf-8"), c.encode("utf-8")) for r, c in pairs]
        for i, (r, c) in enumerate(encoded):
            if b"\0" in r or b"\0" in c:
                raise EdgeLMError(1, f"chat message {i} contains a NUL character")
        arr = (_ChatMessage * max(len(encoded), 1))(*[_ChatMessage(r, c) for r, c in encoded])
        name = template.encode("utf-8") if template is not None else None
        add = 1 if add_assistant else 0
        n = _lib.edgelm_chat_apply(self._handle, name, arr, len(encoded), add, None, 0)
        if n == NO_VALUE:
            _check(1)
        buf = ctypes.create_string_buffer(max(-n, 1))
        n = _lib.edgelm_chat_apply(self._handle, name, arr, len(encoded), add, buf, len(buf))
        if n < 0:
            _check(1)
        return buf.raw[:n].decode("utf-8")

    def is_end_of_generation(self, token: int) -> bool:
        return bool(_lib.edgelm_model_token_is_eog(self._handle, token))

    def close(self) -> None:
        if self._handle:
            _lib.edgelm_model_free(self._handle)
            self._handle = _P()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class Session:
    """A conversation over a model: KV cache, sampler and worker threads. Use
    from one thread at a time (cancel() may come from any thread). The model
    must outlive the session."""

    def __init__(self, model: Model, config: Union[Config, str, Dict[str, Any], None] = None):
        self.model = model
        self._handle = _P()
        # The generate() whose worker thread may still be running: (stop, worker).
        self._active: Optional[Tuple[threading.Event, threading.Thread]] = None
        cfg = Config.of(config)
        _check(_lib.edgelm_session_new(model._handle, cfg._handle, ctypes.byref(self._handle)))

    def _finish_generation(self) -> None:
        """Stops and joins a generate() the caller left unfinished (a
        generator neither exhausted nor closed keeps generating on its worker
        thread, and the session busy): every other call starts with this."""
        active, self._active = self._active, None
        if active is not None:
            stop, worker = active
            stop.set()
            if worker.is_alive():
                _lib.edgelm_session_cancel(self._handle)  # also stops a long prompt
            worker.join()

    def generate(self, prompt: Union[str, bytes], max_tokens: int = 128) -> Iterator[str]:
        """Yields the generated text piece by piece as it is produced (each
        piece ends on a whole UTF-8 character). Closing the generator early,
        an exception in the consuming loop (Ctrl-C) or the next call on the
        session stops generation."""
        self._finish_generation()
        data = prompt.encode("utf-8") if isinstance(prompt, str) else prompt
        pieces: "queue.Queue[Any]" = queue.Queue()
        stop = threading.Event()
        done = object()

        def on_piece(ptr, length, token, user):
            pieces.put(ctypes.string_at(ptr, length).decode("utf-8", "replace") if length else "")
            return 1 if stop.is_set() else 0

        callback = _TOKEN_FN(on_piece)
        result: List[int] = []

        def run():
            try:
                result.append(_lib.edgelm_generate(self._handle, data, len(data), max_tokens, callback, None))
            finally:
                pieces.put(done)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        self._active = (stop, worker)
        try:
            while True:
                item = pieces.get()
                if item is done:
                    break
                if item:
                    yield item
        finally:
            if self._active is not None and self._active[1] is worker:
                self._finish_generation()
            else:
                stop.set()
                worker.join()
        _check(result[0] if result else 11)

    def generate_text(self, prompt: Union[str, bytes], max_tokens: int = 128) -> str:
        return "".join(self.generate(prompt, max_tokens))

    def eval(self, tokens: Sequence[int]) -> None:
        self._finish_generation()
        arr = (ctypes.c_int32 * len(tokens))(*tokens)
        _check(_lib.edgelm_eval(self._handle, arr, len(tokens)))

    def logits(self) -> List[float]:
        self._finish_generation()
        p = _lib.edgelm_logits(self._handle)
        if not p:
            raise EdgeLMError(1, "no logits yet: call eval() first")
        return p[: self.model.vocab_size]

    def sample(self) -> int:
        self._finish_generation()
        token = ctypes.c_int32()
        _check(_lib.edgelm_sample(self._handle, ctypes.byref(token)))
        return token.value

    def reset(self) -> None:
        self._finish_generation()
        _check(_lib.edgelm_session_reset(self._handle))

    def cancel(self) -> None:
        _lib.edgelm_session_cancel(self._handle)

    @property
    def context_length(self) -> int:
        return _lib.edgelm_session_n_ctx(self._handle)

    @property
    def position(self) -> int:
        return _lib.edgelm_session_n_past(self._handle)

    def stats(self) -> Dict[str, float]:
        s = _Stats()
        s.size = ctypes.sizeof(_Stats)
        _check(_lib.edgelm_session_stats(self._handle, ctypes.byref(s)))
        return {name: getattr(s, name) for name, _ in _Stats._fields_ if name != "size"}

    def close(self) -> None:
        if self._handle:
            self._finish_generation()
            _lib.edgelm_session_free(self._handle)
            self._handle = _P()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
