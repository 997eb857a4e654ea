/* llama.cpp's side of the first-token and memory benchmark in compare.py:
 * the same job as `edgelm run -m MODEL -f PROMPT -n N -c CTX -t T --temp 0`
 * as a native process (no Python start-up in the timing): load the model
 * (mmap, llama.cpp's defaults), make a context of CTX positions, tokenize
 * the prompt, decode it, then N greedy tokens; each piece goes to stdout
 * unbuffered, so the parent times the first byte from process start. At the
 * end prints "peak_rss_bytes N" (VmHWM) to stderr.
 *
 * Built by compare.py against llama-cpp-python's libllama (its headers are in
 * site-packages/include); not part of EdgeLM and not run in CI.
 *
 * Usage: llama_first_token MODEL PROMPT_FILE N CTX THREADS
 */
#include <llama.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void quiet(enum ggml_log_level level, const char *text, void *user) {
  (void)level; (void)text; (void)user;
}

static long long peak_rss_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long long kib = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %lld kB", &kib) == 1) break;
  fclose(f);
  return kib < 0 ? -1 : kib * 1024;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s MODEL PROMPT_FILE N CTX THREADS\n", argv[0]);
    return 2;
  }
  const char *model_path = argv[1];
  int n_gen = atoi(argv[3]), n_ctx = atoi(argv[4]), threads = atoi(argv[5]);
  static char prompt[1 << 16];
  FILE *pf = fopen(argv[2], "rb");
  if (!pf) { perror(argv[2]); return 1; }
  size_t plen = fread(prompt, 1, sizeof prompt - 1, pf);
  fclose(pf);
  prompt[plen] = 0;

  llama_log_set(quiet, NULL);
  llama_backend_init();
  struct llama_model *model = llama_model_load_from_file(model_path, llama_model_default_params());
  if (!model) { fprintf(stderr, "cannot load %s\n", model_path); return 1; }
  const struct llama_vocab *vocab = llama_model_get_vocab(model);
  struct llama_context_params cp = llama_context_default_params();
  cp.n_ctx = n_ctx;
  cp.n_batch = 512;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  struct llama_context *ctx = llama_init_from_model(model, cp);
  if (!ctx) { fprintf(stderr, "cannot make a context\n"); return 1; }

  /* (n_prompt) prompt token ids; specials parsed, BOS as the model says. */
  static llama_token tokens[8192];
  int n_prompt = llama_tokenize(vocab, prompt, (int32_t)plen, tokens, 8192, true, true);
  if (n_prompt <= 0) { fprintf(stderr, "tokenize failed\n"); return 1; }
  struct llama_batch batch = llama_batch_get_one(tokens, n_prompt);
  struct llama_sampler *greedy = llama_sampler_init_greedy();
  llama_token next = 0;
  for (int i = 0; i < n_gen; i++) {
    if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
    next = llama_sampler_sample(greedy, ctx, -1);
    if (llama_vocab_is_eog(vocab, next)) break;
    char piece[256];
    int n = llama_token_to_piece(vocab, next, piece, sizeof piece, 0, false);
    if (n > 0) (void)!write(1, piece, (size_t)n);
    batch = llama_batch_get_one(&next, 1);
  }
  (void)!write(1, "\n", 1);
  fprintf(stderr, "peak_rss_bytes %lld\n", peak_rss_bytes());
  llama_sampler_free(greedy);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
