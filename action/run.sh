#!/usr/bin/env bash
# The work of the netreach GitHub Action (action.yml), runnable anywhere: diff against a base
# revision, check expectations, audit (SARIF for code scanning), and one Markdown comment.
# Inputs arrive as NETREACH_* variables; outputs go to $GITHUB_OUTPUT and the step summary
# when those are set. Exit 2 when the input cannot be analysed (always a failure), 1 when a
# gate failed and NETREACH_FAIL is true, else 0.
set -uo pipefail

out=${NETREACH_OUT:-netreach-out}
mkdir -p "$out"
read -r -a paths <<< "${NETREACH_PATHS:-.}"
common=(--infer-workloads "${NETREACH_INFER_WORKLOADS:-auto}")
comment="$out/comment.md"
failed=0
broken=0

record() {  # the exit code of one command: 1 a failed gate, 2 unusable input
  case "$1" in
    0) ;;
    1) failed=1 ;;
    *) broken=1 ;;
  esac
}

errors() {  # a command's stderr, indented, when it could not run
  [ "$1" -ge 2 ] && { echo; echo '```'; cat "$2"; echo '```'; }
  return 0
}

printf '<!-- netreach -->\n## netreach\n\n' > "$comment"

if [ -n "${NETREACH_BASE:-}" ]; then
  base=$NETREACH_BASE
  # a shallow checkout may lack the base commit
  git cat-file -e "$base^{commit}" 2>/dev/null \
    || git fetch --no-tags --depth=1 origin "$base" >/dev/null 2>&1 || true
  gates=()
  for kind in ${NETREACH_DIFF_FAIL_ON//,/ }; do gates+=(--fail-on "$kind"); done
  netreach diff --git "$base..HEAD" -o md "${common[@]}" "${gates[@]}" -- "${paths[@]}" \
    > "$out/diff.md" 2> "$out/diff.err"
  rc=$?
  record "$rc"
  { echo "### Reachability changes against ${base:0:12}"; echo; cat "$out/diff.md"
    errors "$rc" "$out/diff.err"; echo; } >> "$comment"
fi

if [ -n "${NETREACH_EXPECTATIONS:-}" ]; then
  netreach test "${paths[@]}" "${common[@]}" -e "$NETREACH_EXPECTATIONS" \
    --junit "$out/junit.xml" > "$out/test.txt" 2> "$out/test.err"
  rc=$?
  record "$rc"
  { echo "### Expectations"; echo; echo '```'; cat "$out/test.txt"; echo '```'
    errors "$rc" "$out/test.err"; echo; } >> "$comment"
fi

sarif=""
if [ "${NETREACH_AUDIT:-true}" = "true" ]; then
  netreach audit "${paths[@]}" "${common[@]}" -o sarif --fail-on "${NETREACH_FAIL_ON:-error}" \
    > "$out/netreach.sarif" 2> "$out/audit.err"
  rc=$?
  record "$rc"
  if [ "$rc" -lt 2 ]; then
    sarif="$out/netreach.sarif"
    netreach audit "${paths[@]}" "${common[@]}" -o md --fail-on never > "$out/audit.md" 2>/dev/null
  else
    : > "$out/audit.md"
  fi
  { echo "### Audit"; echo; cat "$out/audit.md"; errors "$rc" "$out/audit.err"; } >> "$comment"
fi

result=pass
[ "$failed" = 1 ] && result=fail
[ "$broken" = 1 ] && result=error
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "result=$result"
    echo "comment=$comment"
    echo "sarif=$sarif"
    [ -f "$out/junit.xml" ] && echo "junit=$out/junit.xml"
  } >> "$GITHUB_OUTPUT"
fi
[ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$comment" >> "$GITHUB_STEP_SUMMARY"
echo "netreach: $result (details in $comment)" >&2

[ "$broken" = 1 ] && exit 2
[ "$failed" = 1 ] && [ "${NETREACH_FAIL:-true}" = "true" ] && exit 1
exit 0
