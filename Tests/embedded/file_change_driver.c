/*
 * A model file changed under a running process (Tests/embedded/file_changes.sh).
 *
 * Usage: file_change_driver MODEL ORIGINAL LOAD CASE [RAM_LIMIT]
 *   MODEL     a copy of the model that this program changes
 *   ORIGINAL  the untouched model (the bytes to copy back)
 *   LOAD      map | read (the config's "load")
 *   CASE      truncate  truncate(2) to half its size
 *             cpover    what cp does over an existing file: open(O_TRUNC),
 *                       the first MiB written at once, the rest after the
 *                       call (a copy slower than a token)
 *             inplace   pwrite of 64 KiB of garbage over the middle of the
 *                       tensor data (same size; no signal at all)
 *             rename    a new copy written beside it and renamed over it
 *   RAM_LIMIT bytes for "ram_limit" (streams layers when below the model)
 *
 * It generates 16 greedy tokens, then generates again from a reset session
 * and makes the change from the token callback after the 4th token (in the
 * middle of the call), then calls edgelm_generate, edgelm_eval and
 * edgelm_session_new once more, and frees everything. Each line of output
 * is "STEP STATUS [same|different]" (the text against the first run's) or
 * "STEP_error MESSAGE"; the last line is "freed". A signal would end it
 * before that line.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgelm.h"

#define TEXT_CAPACITY 4096
#define CHUNK (1 << 20)

typedef struct {
  char text[TEXT_CAPACITY];
  size_t length;
  int tokens;
  int change_at; /* make the change after this many tokens (0: never) */
} run_state;

static const char *model_path, *original_path, *change;
static int copy_fd = -1;   /* cpover: the model, being rewritten */
static int original_fd = -1;

static void fail(const char *what) {
  perror(what);
  exit(3);
}

/* Copies from original_fd to fd until `limit` bytes are written or the end. */
static void copy_bytes(int fd, long limit) {
  static char buffer[CHUNK];
  long done = 0;
  while (limit < 0 || done < limit) {
    ssize_t n = read(original_fd, buffer, CHUNK);
    if (n < 0) fail("read original");
    if (n == 0) break;
    if (write(fd, buffer, (size_t)n) != n) fail("write model");
    done += n;
  }
}

static void make_change(void) {
  if (strcmp(change, "truncate") == 0) {
    struct stat st;
    if (stat(model_path, &st) != 0 || truncate(model_path, st.st_size / 2) != 0) fail("truncate");
  } else if (strcmp(change, "cpover") == 0) {
    copy_fd = open(model_path, O_WRONLY | O_TRUNC);
    original_fd = open(original_path, O_RDONLY);
    if (copy_fd < 0 || original_fd < 0) fail("open for cpover");
    copy_bytes(copy_fd, CHUNK);
  } else if (strcmp(change, "inplace") == 0) {
    static char garbage[65536];
    struct stat st;
    for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (char)(i * 131 + 7);
    int fd = open(model_path, O_WRONLY);
    if (fd < 0 || fstat(fd, &st) != 0) fail("open for inplace");
    if (pwrite(fd, garbage, sizeof garbage, st.st_size / 2) != (ssize_t)sizeof garbage) fail("pwrite");
    close(fd);
  } else if (strcmp(change, "rename") == 0) {
    char fresh[4096];
    snprintf(fresh, sizeof fresh, "%s.new", model_path);
    int fd = open(fresh, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    original_fd = open(original_path, O_RDONLY);
    if (fd < 0 || original_fd < 0) fail("open for rename");
    copy_bytes(fd, -1);
    close(fd);
    close(original_fd);
    original_fd = -1;
    if (rename(fresh, model_path) != 0) fail("rename");
  } else {
    fprintf(stderr, "unknown case '%s'\n", change);
    exit(2);
  }
}

/* cpover: the rest of the copy, after the call that saw it begin. */
static void finish_change(void) {
  if (copy_fd < 0) return;
  copy_bytes(copy_fd, -1);
  close(copy_fd);
  close(original_fd);
  copy_fd = original_fd = -1;
}

static int32_t on_piece(const char *piece, size_t len, int32_t token, void *user) {
  run_state *s = user;
  if (s->length + len < TEXT_CAPACITY) {
    memcpy(s->text + s->length, piece, len);
    s->length += len;
  }
  if (token >= 0 && ++s->tokens == s->change_at) make_change();
  return 0;
}

static const char prompt[] = "The capital of France is";

static edgelm_status generate(edgelm_session *session, run_state *s, int change_at) {
  memset(s, 0, sizeof *s);
  s->change_at = change_at;
  edgelm_session_reset(session);
  return edgelm_generate(session, prompt, sizeof prompt - 1, 16, on_piece, s);
}

static void report(const char *step, edgelm_status status, const run_state *s, const run_state *first) {
  int same = s && s->length == first->length && memcmp(s->text, first->text, s->length) == 0;
  printf("%s %d%s\n", step, status, s ? (same ? " same" : " different") : "");
  if (status != EDGELM_OK) printf("%s_error %s\n", step, edgelm_last_error());
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODEL ORIGINAL map|read truncate|cpover|inplace|rename [RAM_LIMIT]\n", argv[0]);
    return 2;
  }
  model_path = argv[1];
  original_path = argv[2];
  change = argv[4];
  char json[512];
  snprintf(json, sizeof json,
           "{\"threads\": 2, \"context_length\": 256, \"load\": \"%s\", \"ram_limit\": %s, "
           "\"sampling\": {\"temperature\": 0}}",
           argv[3], argc > 5 ? argv[5] : "0");
  edgelm_config *config = NULL;
  edgelm_model *model = NULL;
  edgelm_session *session = NULL;
  if (edgelm_config_parse(json, strlen(json), &config) != EDGELM_OK ||
      edgelm_model_load(model_path, config, &model) != EDGELM_OK ||
      edgelm_session_new(model, config, &session) != EDGELM_OK) {
    printf("setup_error %s\n", edgelm_last_error());
    return 1;
  }
  static run_state first, during, after;
  report("first", generate(session, &first, 0), NULL, &first);
  report("during", generate(session, &during, 4), &during, &first);
  finish_change();
  report("after", generate(session, &after, 0), &after, &first);
  int32_t token = edgelm_model_token_bos(model) >= 0 ? edgelm_model_token_bos(model) : 1;
  report("eval", edgelm_eval(session, &token, 1), NULL, &first);
  edgelm_session *second = NULL;
  report("session_new", edgelm_session_new(model, config, &second), NULL, &first);
  edgelm_session_free(second);
  edgelm_session_free(session);
  edgelm_model_free(model);
  edgelm_config_free(config);
  printf("freed\n");
  return 0;
}
