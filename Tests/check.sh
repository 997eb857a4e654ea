# Sourced by the shell test scripts: `check NAME EXPECTED ACTUAL` counts a
# pass when the two strings are equal, else prints both and counts a
# failure; `summary LABEL` prints "LABEL: N passed, N failed" and succeeds
# only when nothing failed.
passed=0
failed=0
check() {
  if [ "$2" == "$3" ]; then
    passed=$((passed + 1)); echo "ok: $1"
  else
    failed=$((failed + 1)); echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"
  fi
}
summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
