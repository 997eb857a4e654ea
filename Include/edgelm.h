/*
 * edgelm.h - the EdgeLM C API. This header is the contract: anything not
 * declared here is not API.
 *
 * EdgeLM runs language models stored as GGUF files (llama.cpp's format) on
 * small Linux devices, inside a RAM and thread budget given as a JSON config.
 * The library (libedgelm.so) needs only libc, libm and json-c.
 *
 * Threads
 *   - An edgelm_model is read-only after loading and may be shared by any
 *     number of sessions on any number of threads.
 *   - An edgelm_session is used by one thread at a time (the caller
 *     serialises); only edgelm_session_cancel may be called concurrently.
 *     A call that finds the session inside another call (another thread's,
 *     or its own token callback's) returns EDGELM_ERR_BUSY and leaves the
 *     session alone: edgelm_generate, edgelm_eval, edgelm_sample and
 *     edgelm_session_reset.
 *   - An edgelm_config is immutable after parsing and may be shared.
 *   - Callbacks run on the thread that called edgelm_generate.
 *   - edgelm_last_error() is per thread.
 *   - The "threads" budget of the config counts every EdgeLM thread working
 *     for a session, the caller's thread included.
 *
 * Errors
 *   Fallible functions return an edgelm_status: EDGELM_OK (0) or a positive
 *   code below. Codes are stable and never reused. After a failure,
 *   edgelm_last_error() describes what was wrong (the key, field or argument
 *   by name). Bad input never makes the library call exit() or abort().
 *   Running out of memory is an error too: a call during which an
 *   allocation fails returns EDGELM_ERR_OUT_OF_MEMORY (the functions that
 *   return a count return EDGELM_NO_VALUE), frees what it made, and leaves
 *   the handles it was given usable. Small allocations the system refuses
 *   are served from a reserve the library sets aside when it is loaded
 *   (8 MiB of address space, RAM only as used), so that the call can
 *   finish cleanly; only if that too runs out does the process abort, with
 *   a message on stderr saying so.
 *
 * Ownership
 *   Handles returned through an out-parameter are owned by the caller and
 *   released with the matching *_free function; *_free(NULL) is a no-op.
 *   Strings returned as `const char *` are borrowed: each function says for
 *   how long they stay valid. Buffers are always the caller's.
 *
 * Example
 *
 *   edgelm_config *cfg = NULL;
 *   edgelm_model *model = NULL;
 *   edgelm_session *s = NULL;
 *   const char json[] = "{\"threads\": 2, \"ram_limit\": \"256MiB\"}";
 *   if (edgelm_config_parse(json, sizeof json - 1, &cfg) != EDGELM_OK ||
 *       edgelm_model_load("model.gguf", cfg, &model) != EDGELM_OK ||
 *       edgelm_session_new(model, cfg, &s) != EDGELM_OK) {
 *     fprintf(stderr, "error: %s\n", edgelm_last_error());
 *   } else {
 *     edgelm_generate(s, "Hello", 5, 64, print_piece, NULL);
 *   }
 *   edgelm_session_free(s);
 *   edgelm_model_free(model);
 *   edgelm_config_free(cfg);
 */
#ifndef EDGELM_H
#define EDGELM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define EDGELM_API __attribute__((visibility("default")))
#define EDGELM_DEPRECATED(hint) __attribute__((deprecated(hint)))
#else
#define EDGELM_API
#define EDGELM_DEPRECATED(hint)
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

#define EDGELM_VERSION_MAJOR 0
#define EDGELM_VERSION_MINOR 1
#define EDGELM_VERSION_PATCH 0
/* X*1000000 + Y*1000 + Z, as sqlite's SQLITE_VERSION_NUMBER. */
#define EDGELM_VERSION_NUMBER 1000
/* Bumped whenever a declaration here changes incompatibly (never, so far). */
#define EDGELM_ABI_VERSION 1

/* The library's EDGELM_VERSION_NUMBER, to check the header against the
 * library at run time. Thread-safe. */
EDGELM_API uint32_t edgelm_version_number(void);

/* The library's EDGELM_ABI_VERSION. Thread-safe. */
EDGELM_API uint32_t edgelm_abi_version(void);

/* ------------------------------------------------------------------------ */
/* Status codes and errors                                                   */
/* ------------------------------------------------------------------------ */

typedef int32_t edgelm_status;

#define EDGELM_OK                    0
#define EDGELM_ERR_INVALID_ARGUMENT  1  /* NULL handle, bad size, bad option */
#define EDGELM_ERR_IO                2  /* open/read/map/write refused by the OS */
#define EDGELM_ERR_FORMAT            3  /* malformed GGUF or inconsistent metadata */
#define EDGELM_ERR_UNSUPPORTED       4  /* valid input this build does not run */
#define EDGELM_ERR_CONFIG            5  /* malformed JSON config or bad key/value */
#define EDGELM_ERR_RESOURCE_LIMIT    6  /* RAM cap or thread budget cannot be met */
#define EDGELM_ERR_OUT_OF_MEMORY     7  /* an allocation failed (see Errors) */
#define EDGELM_ERR_CONTEXT_FULL      8  /* prompt + output exceed the context */
#define EDGELM_ERR_CANCELLED         9  /* edgelm_session_cancel was called */
#define EDGELM_ERR_TOKENIZE         10  /* text could not be tokenized */
#define EDGELM_ERR_INTERNAL         11  /* a bug in EdgeLM; please report it */
#define EDGELM_ERR_BUSY             12  /* the session is inside another call */

/* What the int32_t-returning query functions return when they cannot
 * answer (a NULL argument, an unknown key, a token out of range). */
#define EDGELM_NO_VALUE INT32_MIN

/* A short static English description of `status` ("invalid config", ...);
 * "unknown status" for codes this library does not define. Never NULL.
 * Static lifetime. Thread-safe. */
EDGELM_API const char *edgelm_status_string(edgelm_status status);

/* The message of the last failure on the calling thread, naming what was
 * wrong; "" if none. Borrowed: valid until the next EdgeLM call on this
 * thread. Never NULL. Thread-safe (the message is per thread). */
EDGELM_API const char *edgelm_last_error(void);

/* ------------------------------------------------------------------------ */
/* Config                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The JSON config. Every key is optional:
 *
 *   threads         integer 1..256; the whole thread budget, caller included.
 *                   Default (or 0): the number of online CPUs, at most 4.
 *   ram_limit       bytes (integer) or a string like "64MiB", "1.5GiB", "512MB"
 *                   (KiB/MiB/GiB/TiB binary, KB/MB/GB/TB decimal). 0 or absent:
 *                   no cap.
 *   context_length  integer 1..1048576; 0 or absent: min(model's, 2048).
 *   kv_cache_type   "f16" (default). "q8_0" and "f32" parse, but this build
 *                   does not implement them: edgelm_session_new then
 *                   returns EDGELM_ERR_UNSUPPORTED naming the key.
 *   paging          "auto" (default), "off", "always".
 *   prefetch_depth  integer 0..64 (2): how many streamed layers (or output
 *                   chunks) ahead of the one being computed are handed to
 *                   the kernel's readahead while paging; adds no RSS and no
 *                   thread.
 *   load            how edgelm_model_load brings the file into memory
 *                   (sessions ignore it; a draft model is loaded as its
 *                   target was):
 *                   "map" (default): memory-mapped; pages are read as they
 *                     are used and layers can be streamed under ram_limit.
 *                     The file must not change while loaded: if it is
 *                     truncated, copied over or written in place, the calls
 *                     that run the model return EDGELM_ERR_IO (never a
 *                     signal; see edgelm_model_load).
 *                   "read": the whole file is read into memory at load
 *                     (llama.cpp's --no-mmap); the file may then change or
 *                     be deleted. Everything is resident, so nothing is
 *                     streamed: with a ram_limit below the file size
 *                     edgelm_model_load returns EDGELM_ERR_RESOURCE_LIMIT,
 *                     and so does edgelm_session_new when the model and
 *                     session together exceed it (the message names
 *                     load "read"); paging "always" is then EDGELM_ERR_CONFIG.
 *   speculative     { "mode": "off" (default) | "draft" | "ngram" | "self",
 *                     "draft_model": path (mode "draft"), "max_draft": 1..64 (8),
 *                     "draft_vocab": the draft scores token ids 0..N-1 only
 *                     (mode "draft"; 0 = all, the default),
 *                     "min_draft_probability": 0..1 (0.5), "ngram_min": 1..16 (2),
 *                     "ngram_max": 1..16 (4), "skip_layers": [ints] (mode "self") }
 *   sampling        { "temperature": 0..100 (0.8; 0 = greedy), "top_k": (40; 0 off),
 *                     "top_p": 0..1 (0.95), "min_p": 0..1 (0.05),
 *                     "repeat_penalty": (1.0 = off), "repeat_last_n": (64),
 *                     "seed": 0..2^63-1 }
 *
 * Parsing is strict: unknown keys, wrong types, out-of-range values,
 * duplicate keys, comments, NaN/Infinity, trailing characters and invalid
 * UTF-8 are all EDGELM_ERR_CONFIG, with edgelm_last_error() naming the key
 * path (e.g. "sampling.top_p") and the reason.
 */
typedef struct edgelm_config edgelm_config;

/* Parses `len` bytes of JSON at `json` (IN; need not be NUL-terminated).
 * On success writes a new config to *out (OUT; free with edgelm_config_free).
 * On failure *out is set to NULL.
 * Returns EDGELM_OK, EDGELM_ERR_CONFIG, or EDGELM_ERR_INVALID_ARGUMENT for a
 * NULL `json` or `out`. Thread-safe. */
EDGELM_API edgelm_status edgelm_config_parse(const char *json, size_t len, edgelm_config **out);

/* Reads and parses the JSON file at `path` (IN, NUL-terminated).
 * Returns EDGELM_OK, EDGELM_ERR_IO (unreadable; the path is in the message),
 * EDGELM_ERR_CONFIG or EDGELM_ERR_INVALID_ARGUMENT. *out as for
 * edgelm_config_parse. Thread-safe. */
EDGELM_API edgelm_status edgelm_config_load(const char *path, edgelm_config **out);

/* Frees a config. NULL is a no-op. Models and sessions made with it do not
 * keep a reference, so it may be freed right after use. */
EDGELM_API void edgelm_config_free(edgelm_config *config);

/* ------------------------------------------------------------------------ */
/* Model                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct edgelm_model edgelm_model;

/* Maps and validates the GGUF file at `gguf_path` (IN). `config` (IN) may be
 * NULL for defaults. Without a ram_limit the model may rearrange matrices
 * its CPU's kernels read faster in another layout (on Armv8.2 dotprod CPUs:
 * q8_0, q4_0 and q5_0 matrices into interleaved groups of four rows, a copy
 * in memory replacing the file's pages, the same size); those matrices then
 * stay resident in every session, and a session's ram_limit counts them.
 * With a ram_limit the file's layout is kept, so that a session with that
 * cap can stream every layer.
 * Updating a model file: with load "map" (the default) the file stays
 * mapped while the model lives. Replace it by writing a new file and
 * renaming it over the old one: the model goes on reading the old file's
 * pages, and the next load gets the new one. A file truncated, copied over
 * or written in place instead costs the model its weights: the next call
 * that runs it (edgelm_generate, edgelm_eval, edgelm_session_new) returns
 * EDGELM_ERR_IO naming the file, and so does every later one; free the
 * model and load it again. (A read of a vanished page raises SIGBUS; the
 * first model load installs a process-wide SIGBUS handler that maps zeros
 * there instead and passes every other SIGBUS to the handler installed
 * before it, or to the default action. An application that installs its
 * own SIGBUS handler afterwards must chain to the previous one.) With load
 * "read" the file is not used after loading.
 * On success writes a new model to *out (OUT; free with edgelm_model_free).
 * Of the config only ram_limit (whether matrices are rearranged, above)
 * and load matter here; the RAM cap itself is checked when a session is
 * created (edgelm_session_new returns EDGELM_ERR_RESOURCE_LIMIT when no
 * plan fits it), except that load "read" refuses a file larger than the cap
 * before reading it.
 * Returns EDGELM_OK, EDGELM_ERR_IO, EDGELM_ERR_FORMAT (malformed file; the
 * message names the field and offset), EDGELM_ERR_UNSUPPORTED (architecture,
 * tensor type or tokenizer), EDGELM_ERR_OUT_OF_MEMORY,
 * EDGELM_ERR_RESOURCE_LIMIT (load "read" and a file larger than ram_limit;
 * or 256 mapped models at once), or EDGELM_ERR_INVALID_ARGUMENT.
 * Thread-safe. */
EDGELM_API edgelm_status edgelm_model_load(const char *gguf_path, const edgelm_config *config,
                                           edgelm_model **out);

/* Frees a model. NULL is a no-op. Every session of the model must have been
 * freed first. */
EDGELM_API void edgelm_model_free(edgelm_model *model);

/* Vocabulary size, trained context length, layer count and hidden size of a
 * model; 0 for a NULL model. Thread-safe. */
EDGELM_API int32_t edgelm_model_n_vocab(const edgelm_model *model);
EDGELM_API int32_t edgelm_model_n_ctx_train(const edgelm_model *model);
EDGELM_API int32_t edgelm_model_n_layer(const edgelm_model *model);
EDGELM_API int32_t edgelm_model_n_embd(const edgelm_model *model);

/* The architecture name ("llama", ...). Borrowed: valid while the model
 * lives. "" for a NULL model. Thread-safe. */
EDGELM_API const char *edgelm_model_architecture(const edgelm_model *model);

/* Copies the string metadata value `key` (IN) into `buf` (OUT, `capacity`
 * bytes, NUL-terminated on success).
 * Returns the length written (without the NUL); minus the capacity needed
 * (length + 1) if `buf` is too small; EDGELM_NO_VALUE if the key is absent,
 * not a string, or an argument is NULL. Thread-safe. */
EDGELM_API int32_t edgelm_model_meta_string(const edgelm_model *model, const char *key,
                                            char *buf, int32_t capacity);

/* Special tokens: BOS and EOS ids, or -1 if the model has none. */
EDGELM_API int32_t edgelm_model_token_bos(const edgelm_model *model);
EDGELM_API int32_t edgelm_model_token_eos(const edgelm_model *model);

/* true if `token` ends generation (EOS, end-of-turn, ...). Thread-safe. */
EDGELM_API bool edgelm_model_token_is_eog(const edgelm_model *model, int32_t token);

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */
/* ------------------------------------------------------------------------ */

/* Flags for edgelm_tokenize. */
#define EDGELM_TOKENIZE_ADD_SPECIAL   1  /* add BOS/EOS as the model's metadata says */
#define EDGELM_TOKENIZE_PARSE_SPECIAL 2  /* "<|im_start|>" in the text is one token */

/* Tokenizes `len` bytes of UTF-8 `text` (IN) into `out` (OUT, `capacity`
 * ids). Returns the number of ids written; if `capacity` is too small,
 * minus the number needed (call again with a larger buffer); EDGELM_NO_VALUE
 * for a NULL model, NULL text with len > 0, or NULL out with capacity > 0
 * (see edgelm_last_error). Thread-safe. */
EDGELM_API int32_t edgelm_tokenize(const edgelm_model *model, const char *text, size_t len,
                                   int32_t *out, int32_t capacity, int32_t flags);

/* Flags for edgelm_token_to_piece. */
#define EDGELM_PIECE_SPECIAL 1  /* render control tokens ("<|im_end|>") as text */

/* Copies the bytes of `token` into `buf` (OUT, `capacity` bytes, not
 * NUL-terminated). A piece may be part of a UTF-8 character: concatenate
 * pieces before printing. Returns the number of bytes, minus the capacity
 * needed if `buf` is too small, or EDGELM_NO_VALUE for a NULL model or a
 * token outside the vocabulary. Thread-safe. */
EDGELM_API int32_t edgelm_token_to_piece(const edgelm_model *model, int32_t token,
                                         char *buf, int32_t capacity, int32_t flags);

/* ------------------------------------------------------------------------ */
/* Session                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct edgelm_session edgelm_session;

/* Creates a session (KV cache, working memory, worker threads) over `model`
 * (IN, borrowed: it must outlive the session). `config` (IN) may be NULL for
 * defaults; threads, context_length, kv_cache_type, the RAM cap, speculative
 * and sampling are read from it. With speculative.mode "draft" the draft
 * model is loaded here (relative paths from the working directory); it runs
 * on the session's threads and is freed with the session. On success writes
 * the session to *out (OUT; free with edgelm_session_free). Returns
 * EDGELM_OK, EDGELM_ERR_INVALID_ARGUMENT (also: a draft model with another
 * vocabulary, skip_layers out of range), EDGELM_ERR_RESOURCE_LIMIT (threads
 * cannot be started, or the cap is exceeded), EDGELM_ERR_OUT_OF_MEMORY,
 * EDGELM_ERR_IO (the model's file changed since it was loaded; see
 * edgelm_model_load), or the model-loading errors for the draft model
 * (EDGELM_ERR_IO, EDGELM_ERR_FORMAT, EDGELM_ERR_UNSUPPORTED; the message
 * names the draft).
 * Thread-safe. */
EDGELM_API edgelm_status edgelm_session_new(edgelm_model *model, const edgelm_config *config,
                                            edgelm_session **out);

/* Stops the session's threads and frees it. NULL is a no-op. */
EDGELM_API void edgelm_session_free(edgelm_session *session);

/* Forgets the conversation: the next prompt starts at position 0, and the
 * sampler's repetition history and random state restart from the seed.
 * Returns EDGELM_OK, EDGELM_ERR_INVALID_ARGUMENT or EDGELM_ERR_BUSY. */
EDGELM_API edgelm_status edgelm_session_reset(edgelm_session *session);

/* Asks the generation or evaluation running on `session` to stop. It stops
 * within one token (also between prompt batches) and returns
 * EDGELM_ERR_CANCELLED. A cancelled evaluation leaves no trace: a prompt
 * cut short is rolled back, so the session is where it was before the call
 * (tokens generated before the cancel stay); a model with sliding-window
 * layers that cannot roll back that far is reset instead, as the error
 * message says. Safe from any thread, also while another thread is inside
 * edgelm_generate on the same session. */
EDGELM_API void edgelm_session_cancel(edgelm_session *session);

/* Context length and positions used so far; 0 for NULL. */
EDGELM_API int32_t edgelm_session_n_ctx(const edgelm_session *session);
EDGELM_API int32_t edgelm_session_n_past(const edgelm_session *session);

/* ------------------------------------------------------------------------ */
/* Generation                                                                */
/* ------------------------------------------------------------------------ */

/* Receives each generated piece: `piece` (borrowed for the duration of the
 * call) holds `len` bytes that always end on a whole UTF-8 character, and
 * `token` is the id that produced it (-1 for a final flush). Return 0 to go
 * on, non-zero to stop generation (edgelm_generate then returns EDGELM_OK). */
typedef int32_t (*edgelm_token_fn)(const char *piece, size_t len, int32_t token, void *user_data);

/* Tokenizes `prompt` (IN, `len` bytes of UTF-8; special tokens written in
 * it are parsed; BOS added as the model says), appends it to the session's
 * context, and generates up to `max_tokens` tokens with the config's
 * sampling, calling `fn` (IN, may be NULL) with each piece. Stops at an
 * end-of-generation token, at `max_tokens`, when `fn` returns non-zero, or
 * when the context is full.
 * Returns EDGELM_OK, EDGELM_ERR_INVALID_ARGUMENT, EDGELM_ERR_CONTEXT_FULL
 * (the prompt alone does not fit), EDGELM_ERR_CANCELLED or
 * EDGELM_ERR_TOKENIZE, EDGELM_ERR_BUSY (the session is inside another
 * call), or EDGELM_ERR_IO when the model's (or draft model's) file changed
 * before or during the call (see edgelm_model_load; pieces already passed
 * to `fn` in this call may come from the changed weights). One thread at a
 * time per session. */
EDGELM_API edgelm_status edgelm_generate(edgelm_session *session, const char *prompt, size_t len,
                                         int32_t max_tokens, edgelm_token_fn fn, void *user_data);

/* Lower-level loop. Evaluates `n` token ids (IN) at the next positions and
 * keeps the logits of the last one. Returns EDGELM_OK,
 * EDGELM_ERR_INVALID_ARGUMENT (NULL, n < 1, or an id outside the
 * vocabulary), EDGELM_ERR_CONTEXT_FULL, EDGELM_ERR_CANCELLED,
 * EDGELM_ERR_BUSY, or EDGELM_ERR_IO as for edgelm_generate. */
EDGELM_API edgelm_status edgelm_eval(edgelm_session *session, const int32_t *tokens, int32_t n);

/* The logits (n_vocab floats) of the last evaluated position, or NULL before
 * any evaluation. Borrowed: valid until the next call on the session. */
EDGELM_API const float *edgelm_logits(const edgelm_session *session);

/* Samples one token from the last logits with the config's sampling
 * parameters (and repetition history) into *token (OUT). Does not evaluate
 * it. Returns EDGELM_OK, EDGELM_ERR_INVALID_ARGUMENT (no logits yet) or
 * EDGELM_ERR_BUSY. */
EDGELM_API edgelm_status edgelm_sample(edgelm_session *session, int32_t *token);

/* ------------------------------------------------------------------------ */
/* Statistics                                                                */
/* ------------------------------------------------------------------------ */

typedef struct edgelm_stats {
  uint32_t size;                 /* IN: sizeof(edgelm_stats), so the struct can grow */
  int32_t prompt_tokens;         /* of the last edgelm_generate */
  int32_t generated_tokens;
  double prompt_tokens_per_second;
  double decode_tokens_per_second;
  uint64_t peak_rss_bytes;       /* VmHWM of the process */
  int32_t draft_tokens;          /* speculative decoding: tokens proposed */
  int32_t accepted_tokens;       /*   and accepted by the target */
  /* Weight streaming under ram_limit (size >= 72; older 48-byte structs get the fields above). */
  uint64_t storage_read_bytes;   /* bytes read from storage during the last generate
                                    (/proc/self/io read_bytes: page-cache misses only) */
  uint64_t weight_stall_ns;      /* time spent mapping streamed weights (waiting for them) */
  uint64_t streamed_bytes;       /* bytes of streamed weights mapped (0: all resident) */
  /* Speculative decoding (size >= 80): forward passes of the target after the
     prompt; generated_tokens / target_passes = tokens per pass. 0 when off. */
  int32_t target_passes;
} edgelm_stats;

/* Fills *stats (IN/OUT: set stats->size first) for the last generation.
 * Returns EDGELM_OK or EDGELM_ERR_INVALID_ARGUMENT. */
EDGELM_API edgelm_status edgelm_session_stats(const edgelm_session *session, edgelm_stats *stats);

/* ------------------------------------------------------------------------ */
/* Chat templates                                                            */
/* ------------------------------------------------------------------------ */

/* One message of a conversation. Both strings are NUL-terminated UTF-8 and
 * borrowed for the duration of the call. */
typedef struct edgelm_chat_message {
  const char *role;     /* "system", "user" or "assistant" */
  const char *content;  /* the text, inserted as is (special-token texts
                           such as "<|im_end|>" in it are not escaped) */
} edgelm_chat_message;

/* Formats a conversation as the prompt text a chat model expects, byte for
 * byte as llama.cpp's llama_chat_apply_template (built-in templates
 * recognised from the Jinja text; no Jinja engine).
 *
 *   template_name  IN, may be NULL: the model's own template
 *                  (tokenizer.chat_template of its GGUF). Otherwise a
 *                  built-in name: "chatml", "gemma", "llama3", "phi3",
 *                  "phi4", "llama2", "llama2-sys", "llama2-sys-bos",
 *                  "llama2-sys-strip", "mistral-v1", "mistral-v3",
 *                  "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken";
 *                  or a Jinja template text to recognise.
 *   messages       IN: `count` messages (count >= 1), oldest first.
 *   add_assistant  non-zero: end with the opening of an assistant turn
 *                  ("<|im_start|>assistant\n"), so generation is the reply.
 *   out            OUT: `capacity` bytes; receives the text and a NUL.
 *
 * The text has no BOS: pass it to edgelm_generate, or tokenize it with
 * EDGELM_TOKENIZE_ADD_SPECIAL | EDGELM_TOKENIZE_PARSE_SPECIAL.
 * Returns the length written (without the NUL); minus the capacity needed
 * (length + 1) if `capacity` is too small (nothing is written; call again);
 * EDGELM_NO_VALUE on failure, with edgelm_last_error() saying why: a NULL
 * model, messages or role/content, count 0, NULL out with capacity > 0, a
 * role other than the three (the message index is named), or a template
 * that is unknown or missing (the model has none): the message lists the
 * names to pass instead. Thread-safe. */
EDGELM_API int32_t edgelm_chat_apply(const edgelm_model *model, const char *template_name,
                                     const edgelm_chat_message *messages, size_t count,
                                     int32_t add_assistant, char *out, int32_t capacity);

#ifdef __cplusplus
}
#endif

#endif /* EDGELM_H */
