/*
 * firmware_example.c - EdgeLM as firmware uses it: a JSON config with the
 * RAM and thread budget, fixed buffers, no allocation in the token loop,
 * every status code handled.
 *
 * usage: firmware_example MODEL.gguf CONFIG.json "prompt" [max_tokens]
 * prints the generated text on stdout, statistics on stderr.
 */
#include <edgelm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output is staged in a fixed buffer and flushed when full or at the end. */
static char out_buf[512];
static size_t out_len;

static void flush_out(void) {
  fwrite(out_buf, 1, out_len, stdout);
  fflush(stdout);
  out_len = 0;
}

/* Called once per piece; never allocates. */
static int32_t on_piece(const char *piece, size_t len, int32_t token, void *user) {
  (void)token;
  (void)user;
  if (out_len + len > sizeof out_buf) flush_out();
  if (len > sizeof out_buf) {
    fwrite(piece, 1, len, stdout);
  } else {
    memcpy(out_buf + out_len, piece, len);
    out_len += len;
  }
  return 0; /* non-zero would stop generation */
}

/* What to tell the operator for each status. */
static int report(const char *what, edgelm_status status) {
  const char *hint = "";
  switch (status) {
    case EDGELM_OK: return 0;
    case EDGELM_ERR_INVALID_ARGUMENT: hint = "a bad argument"; break;
    case EDGELM_ERR_IO: hint = "check the path and permissions"; break;
    case EDGELM_ERR_FORMAT: hint = "the model file is damaged or not GGUF"; break;
    case EDGELM_ERR_UNSUPPORTED: hint = "this build cannot run that model or setting"; break;
    case EDGELM_ERR_CONFIG: hint = "fix the JSON config"; break;
    case EDGELM_ERR_RESOURCE_LIMIT: hint = "raise ram_limit or lower context_length"; break;
    case EDGELM_ERR_OUT_OF_MEMORY: hint = "the device is out of memory"; break;
    case EDGELM_ERR_CONTEXT_FULL: hint = "shorten the prompt or raise context_length"; break;
    case EDGELM_ERR_CANCELLED: hint = "cancelled"; break;
    case EDGELM_ERR_TOKENIZE: hint = "the prompt could not be tokenized"; break;
    case EDGELM_ERR_INTERNAL: hint = "an EdgeLM bug, please report it"; break;
    default: hint = "unknown status"; break;
  }
  fprintf(stderr, "error: %s: %s (%s): %s\n", what, edgelm_status_string(status), hint, edgelm_last_error());
  return 1;
}

int main(int argc, char **argv) {
  edgelm_config *config = NULL;
  edgelm_model *model = NULL;
  edgelm_session *session = NULL;
  edgelm_stats stats;
  int32_t max_tokens = 64;
  int rc = 1;

  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s MODEL.gguf CONFIG.json \"prompt\" [max_tokens]\n", argv[0]);
    return 2;
  }
  if (argc == 5) max_tokens = (int32_t)atoi(argv[4]);
  if (edgelm_version_number() != EDGELM_VERSION_NUMBER) {
    fprintf(stderr, "error: header %d and library %u differ\n", EDGELM_VERSION_NUMBER, edgelm_version_number());
    return 1;
  }
  if (report("config", edgelm_config_load(argv[2], &config))) goto done;
  if (report("model", edgelm_model_load(argv[1], config, &model))) goto done;
  if (report("session", edgelm_session_new(model, config, &session))) goto done;
  if (report("generate", edgelm_generate(session, argv[3], strlen(argv[3]), max_tokens, on_piece, NULL))) goto done;
  flush_out();
  printf("\n");
  stats.size = sizeof stats;
  if (edgelm_session_stats(session, &stats) == EDGELM_OK) {
    fprintf(stderr, "prompt %d tokens %.1f t/s, generated %d tokens %.1f t/s, peak RSS %.1f MiB\n",
            stats.prompt_tokens, stats.prompt_tokens_per_second, stats.generated_tokens,
            stats.decode_tokens_per_second, (double)stats.peak_rss_bytes / 1048576.0);
  }
  rc = 0;
done:
  flush_out();
  edgelm_session_free(session);
  edgelm_model_free(model);
  edgelm_config_free(config);
  return rc;
}
