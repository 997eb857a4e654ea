/*
 * Run under valgrind by Tests/capi/run.sh: every failure path a user can
 * hit (missing, non-GGUF and truncated files, bad configs, a context the
 * model cannot take) and one whole generation must free everything.
 * usage: leak_check MODEL.gguf TRUNCATED.gguf
 */
#include "edgelm.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  edgelm_model *m = NULL;
  edgelm_config *c = NULL;
  edgelm_session *s = NULL;
  int i;
  static const char *configs[] = {
    "{\"threads\": 1, \"threads\": 2}", "{\"sampling\": {\"top_p\": 3}}", "{} x", "{\"ram_limit\": \"1XB\"}",
  };
  const char big_context[] = "{\"context_length\": 999999}";
  const char greedy[] = "{\"threads\": 2, \"context_length\": 64, \"sampling\": {\"temperature\": 0}}";
  if (argc != 3) return 2;
  for (i = 0; i < 3; i++) {
    size_t k;
    edgelm_model_load("/nonexistent/model.gguf", NULL, &m);
    edgelm_model_load("/etc/hostname", NULL, &m);
    edgelm_model_load(argv[2], NULL, &m);
    for (k = 0; k < sizeof configs / sizeof configs[0]; k++) edgelm_config_parse(configs[k], strlen(configs[k]), &c);
  }
  if (edgelm_model_load(argv[1], NULL, &m) != EDGELM_OK) return 1;
  edgelm_config_parse(big_context, sizeof big_context - 1, &c);
  for (i = 0; i < 3; i++) edgelm_session_new(m, c, &s);
  edgelm_config_free(c);
  edgelm_config_parse(greedy, sizeof greedy - 1, &c);
  if (edgelm_session_new(m, c, &s) != EDGELM_OK) return 1;
  edgelm_generate(s, "Hi", 2, 4, NULL, NULL);
  edgelm_session_free(s);
  edgelm_config_free(c);
  /* speculative decoding: a missing draft, a draft model (the model itself) */
  {
    char json[1200];
    const char missing[] = "{\"speculative\": {\"mode\": \"draft\", \"draft_model\": \"/nonexistent/d.gguf\"}}";
    edgelm_config_parse(missing, sizeof missing - 1, &c);
    edgelm_session_new(m, c, &s);
    edgelm_config_free(c);
    snprintf(json, sizeof json,
             "{\"threads\": 2, \"context_length\": 64, \"speculative\": {\"mode\": \"draft\", \"draft_model\": \"%s\"}}", argv[1]);
    edgelm_config_parse(json, strlen(json), &c);
    if (edgelm_session_new(m, c, &s) != EDGELM_OK) return 1;
    edgelm_generate(s, "Hi", 2, 6, NULL, NULL);
    edgelm_session_free(s);
    edgelm_config_free(c);
  }
  edgelm_model_free(m);
  puts("leak_check done");
  return 0;
}
