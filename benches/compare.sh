#!/usr/bin/env bash
# Side-by-side benchmarks of goldpath against its peers (copier, kickstart). Run by hand, not in CI;
# see benches/README.md. Usage: benches/compare.sh [--quick]
#
#   1. new:     goldpath new           vs copier copy (and kickstart)    target >= 30x copier
#   2. upgrade: goldpath upgrade       vs copier update, 23 and 23+EXTRA files   target >= 30x
#   3. check:   goldpath check         vs copier check-update            target >= 25x and <= 20 ms
#
# Everything lives in .bench/ (git-ignored): the copier venv, kickstart, the template repos and
# projects of this run (.bench/run/, recreated each time). Ratios are peer median / goldpath median
# over alternating runs of the same group, in the same run of this script.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCHES=$ROOT/benches
B=$ROOT/.bench
W=$B/run
COPIER_VERSION=9.19.1
KICKSTART_VERSION=0.6.0
RUNS=${RUNS:-15}           # timed runs of fast commands (new, check, upgrade at 23 files)
SLOW_RUNS=${SLOW_RUNS:-5}  # timed runs at 23+EXTRA files (copier takes seconds there)
WARMUP=${WARMUP:-2}
# ONLY_NEW=1: section 1 alone (no upgrade or check, and no projects made for them).
EXTRA=${EXTRA:-1000}
if [[ ${1:-} == --quick ]]; then RUNS=5; SLOW_RUNS=3; WARMUP=1; fi

say() { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }

# ---------------------------------------------------------------------------------------------
say "setup"
cd "$ROOT"
grep -qxF '/.bench' .gitignore || echo '/.bench' >> .gitignore
mkdir -p "$B"

COPIER=$B/venv/bin/copier
if ! "$COPIER" --version 2>/dev/null | grep -qF "$COPIER_VERSION"; then
  note "installing copier==$COPIER_VERSION into $B/venv"
  python3 -m venv "$B/venv"
  "$B/venv/bin/pip" install -q "copier==$COPIER_VERSION"
fi

KICKSTART=$B/kickstart/bin/kickstart
if [[ ! -x $KICKSTART && -z ${NO_KICKSTART:-} ]]; then
  note "installing kickstart $KICKSTART_VERSION into $B/kickstart (a few minutes; NO_KICKSTART=1 skips it)"
  CARGO_TARGET_DIR=$B/kickstart-target cargo install -q kickstart --version "$KICKSTART_VERSION" \
    --features cli --locked --root "$B/kickstart"
fi
[[ -x $KICKSTART && -z ${NO_KICKSTART:-} ]] || KICKSTART=

# goldpath: GOLDPATH_BIN=path uses that binary; GOLDPATH_REV=rev builds that commit from a
# `git archive` snapshot in .bench/src-<rev> (when the shared working tree is mid-edit and does not
# build); by default the working tree is built.
if [[ -n ${GOLDPATH_BIN:-} ]]; then
  GP=$GOLDPATH_BIN; GP_FROM="binary $GP"
else
  SRC=$ROOT; GP_FROM="working tree"
  if [[ -n ${GOLDPATH_REV:-} ]]; then
    rev=$(git -C "$ROOT" rev-parse --short "$GOLDPATH_REV")
    SRC=$B/src-$rev; GP_FROM="commit $rev"
    [[ -f $SRC/Cargo.toml ]] || { mkdir -p "$SRC"; git -C "$ROOT" archive "$rev" | tar -x -C "$SRC"; }
  fi
  note "building goldpath (release) from the $GP_FROM"
  (cd "$SRC" && cargo build -q --release) \
    || { echo "goldpath does not build from the $GP_FROM; try GOLDPATH_REV=HEAD" >&2; exit 1; }
  GP=$(cd "$SRC" && cargo metadata -q --format-version 1 --no-deps \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/goldpath
fi
[[ -x $GP ]] || { echo "no goldpath binary at $GP" >&2; exit 1; }

# Fixtures of this run. Nothing outside .bench/run is written: goldpath's git cache, git identity.
rm -rf "$W"; mkdir -p "$W/tpl" "$W/out" "$W/proj"
export GOLDPATH_CACHE_DIR=$W/cache NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
RESULTS=$W/results.tsv; : > "$RESULTS"

note "template repos: reference service with 23 files and with 23+$EXTRA files"
for n in 23 "$EXTRA"; do
  x=$(( n == 23 ? 0 : n ))
  python3 /work/shared/peers/make_copier_template.py "$W/tpl/copier-$n" --extra "$x"
  python3 "$BENCHES/make_reference_bundle.py" "$W/tpl/gp-$n" --extra "$x"
done
[[ -n $KICKSTART ]] && python3 "$BENCHES/make_reference_bundle.py" "$W/tpl/kickstart-23" --kickstart
[[ -n $KICKSTART ]] && python3 "$BENCHES/make_reference_bundle.py" "$W/tpl/kickstart-$EXTRA" --kickstart --extra "$EXTRA"

GP_VERSION=$("$GP" --version); COPIER_V=$("$COPIER" --version 2>&1 | tail -n1)
KS_V=$([[ -n $KICKSTART ]] && "$KICKSTART" --version || echo "not installed")
[[ $GP_FROM == "working tree" ]] && GP_FROM="working tree at $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes')"
note "$GP_VERSION ($GP_FROM) | $COPIER_V | $KS_V"
note "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The same answers for both tools: service_name given, everything else its default.
gp_new() { # DEST N VERSION [goldpath flags...]
  "$GP" new reference-service "$1" --from "file://$W/tpl/gp-$2" --version "$3" \
    --defaults --no-input --set service_name=orders-api "${@:4}"
}
copier_copy() { # DEST N VERSION [copier flags...]
  "$COPIER" copy --quiet --defaults --vcs-ref "v$3" -d service_name=orders-api "${@:4}" "$W/tpl/copier-$2" "$1"
}
quietly() { # LOG COMMAND...: run, output to LOG; on failure show it and stop
  local log=$1; shift
  "$@" >> "$log" 2>&1 || { echo "failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
}
ANSWER_FILES=(--exclude=.git --exclude=.copier-answers.yml --exclude=.goldpath.toml)

# ---------------------------------------------------------------------------------------------
say "render identity: goldpath vs copier, same answers (answers files ignored)"
IDENTITY_OK=1
identity() { # LABEL N VERSION [KEY=VALUE...]
  local label=$1 n=$2 v=$3; shift 3
  local gset=() cset=() kv d=$W/identity/$label
  for kv in "$@"; do gset+=(--set "$kv"); cset+=(-d "$kv"); done
  rm -rf "$d"; mkdir -p "$d"
  quietly "$d.log" gp_new "$d/goldpath" "$n" "$v" --no-commit "${gset[@]}"
  quietly "$d.log" copier_copy "$d/copier" "$n" "$v" "${cset[@]}"
  local files; files=$(find "$d/goldpath" -type f ! -name .goldpath.toml | wc -l)
  if diff -r "${ANSWER_FILES[@]}" "$d/copier" "$d/goldpath" > "$d.diff"; then
    note "$label: identical ($files files + answers file)"
  else
    IDENTITY_OK=0
    note "$label: DIFFERENT ($files files) -- diff copier goldpath:"
    sed 's/^/      /' "$d.diff" | head -n 40
  fi
}
identity "v1.0.0, defaults" 23 1.0.0
identity "v2.0.0, defaults" 23 2.0.0
identity "v1.0.0, gitlab + other answers" 23 1.0.0 service_name=billing-svc owner=team-payments port=9090 ci=gitlab slo_target=99.5
identity "v2.0.0, gitlab + other answers" 23 2.0.0 service_name=billing-svc owner=team-payments port=9090 ci=gitlab slo_target=99.95 min_replicas=5
identity "v1.0.0, 23+$EXTRA files" "$EXTRA" 1.0.0
if [[ -n $KICKSTART ]]; then
  d=$W/identity/kickstart
  rm -rf "$d"; quietly "$d.log" "$KICKSTART" "$W/tpl/kickstart-23" -o "$d" -i "$W/tpl/kickstart-23/answers.json"
  if diff -r "${ANSWER_FILES[@]}" "$W/identity/v1.0.0, defaults/copier" "$d" > "$d.diff"; then
    note "kickstart v1.0.0, defaults: identical to copier"
  else
    IDENTITY_OK=0; note "kickstart v1.0.0, defaults: DIFFERENT from copier:"; sed 's/^/      /' "$d.diff" | head -n 40
  fi
fi

# ---------------------------------------------------------------------------------------------
# Projects to upgrade and check: v1.0.0, committed, then the README's local edits, committed.
local_edits() { # DIR
  sed -i 's/^replicaCount: 2$/replicaCount: 4/' "$1/chart/values.yaml"
  sed -i 's/^        for: 2m$/        for: 5m/' "$1/alerts/rules.yaml"
  echo 'LABEL org.opencontainers.image.source="https://git.example.com/acme/orders-api"' >> "$1/Dockerfile"
  echo '*.log' >> "$1/.dockerignore"
  grep -q '^replicaCount: 4$' "$1/chart/values.yaml" && grep -q 'for: 5m' "$1/alerts/rules.yaml" \
    || { echo "local edits did not apply in $1" >&2; exit 1; }
  git -C "$1" commit -qam "local edits"
}
for n in 23 "$EXTRA"; do
  [[ -n ${ONLY_NEW:-} ]] && break
  quietly "$W/proj.log" gp_new "$W/proj/goldpath-$n" "$n" 1.0.0
  local_edits "$W/proj/goldpath-$n"
  quietly "$W/proj.log" copier_copy "$W/proj/copier-$n" "$n" 1.0.0
  git -C "$W/proj/copier-$n" init -q -b main
  git -C "$W/proj/copier-$n" add -A
  git -C "$W/proj/copier-$n" commit -qm "generated by copier"
  local_edits "$W/proj/copier-$n"
done
# Each timed upgrade starts from a pristine copy of the edited project (whatever state an upgrade
# leaves, in the tree or in .git, is gone): `restore DIR` prints that untimed prepare step. The copy
# has new inodes, so the index is refreshed, as it is in a checkout someone works in; otherwise
# every tool would re-hash every file to find it unchanged.
for p in "$W"/proj/*; do [[ -d $p ]] && cp -a "$p" "$p.pristine"; done
restore() { echo "rm -rf '$1' && cp -a '$1.pristine' '$1' && git -C '$1' update-index -q --refresh"; }

# Which of goldpath's commands exist yet, and their flags.
has_cmd() { "$GP" "$1" --help > /dev/null 2>&1; }
flag_if_known() { "$GP" "$1" --help 2>/dev/null | grep -qE -- "(^|[ ,])$2([ ,=]|$)" && printf ' %s' "$2" || true; }
SKIPS=()
files() { [[ $1 == 23 ]] && echo "23 files" || echo "23+$1 files"; }

# ---------------------------------------------------------------------------------------------
say "1. new"
O=$W/out
NEW_CASES=(
  --case "goldpath new ref-23" "rm -rf {OUT}" "$GP new reference-service {OUT} --from file://$W/tpl/gp-23 --version 1.0.0 --defaults --no-input --set service_name=orders-api"
  --case "goldpath new ref-23 --no-commit" "rm -rf {OUT}" "$GP new reference-service {OUT} --from file://$W/tpl/gp-23 --version 1.0.0 --defaults --no-input --set service_name=orders-api --no-commit"
  --case "copier copy ref-23" "rm -rf {OUT}" "$COPIER copy --quiet --defaults --vcs-ref v1.0.0 -d service_name=orders-api $W/tpl/copier-23 {OUT}"
)
if [[ -n $KICKSTART ]]; then
  NEW_CASES+=(--case "kickstart ref-23" "rm -rf {OUT}" "$KICKSTART $W/tpl/kickstart-23 -o {OUT} -i $W/tpl/kickstart-23/answers.json")
else
  SKIPS+=(--skip "new ref-23 vs kickstart|kickstart not installed (NO_KICKSTART set or install failed)")
fi
RUST_SERVICE_ROW=()
if ! "$GP" list 2>/dev/null | grep -q '^ *rust-service\b'; then
  SKIPS+=(--skip "new rust-service (builtin) vs copier|no rust-service in the built-in catalog of this build")
elif ! err=$("$GP" new rust-service "$O/rs-trial" --defaults --no-input --set service_name=orders-api 2>&1 >/dev/null); then
  SKIPS+=(--skip "new rust-service (builtin) vs copier|goldpath new rust-service failed: $(echo "$err" | head -n1)")
else
  note "rust-service: $(find "$O/rs-trial" -type f -not -path '*/.git/*' | wc -l) files"
  NEW_CASES+=(--case "goldpath new rust-service" "rm -rf {OUT}" "$GP new rust-service {OUT} --defaults --no-input --set service_name=orders-api")
  RUST_SERVICE_ROW=(--row "new rust-service (builtin) vs copier ref-23|goldpath new rust-service|copier copy ref-23|30")
fi
# The cases take turns at the output folders (timing.py --out-dirs): on ext4 what creating files
# costs depends on the folder (see benches/README.md), so no tool keeps the cheap one.
out_dirs() { local n=$(( $1 / 4 )) i d=(); for (( i = 0; i < n; i++ )); do d+=("$O/o$i"); done; local IFS=,; echo "${d[*]}"; }
python3 "$BENCHES/timing.py" run --results "$RESULTS" --group new-23 --runs "$RUNS" --warmup "$WARMUP" \
  --out-dirs "$(out_dirs ${#NEW_CASES[@]})" "${NEW_CASES[@]}"
# At 23+EXTRA files kickstart and `new --no-commit` run in the same alternation (issue #16: `new`
# with its commit no slower than kickstart without one, at both sizes).
NEW_EXTRA_CASES=(
  --case "goldpath new ref-$EXTRA" "rm -rf {OUT}" "$GP new reference-service {OUT} --from file://$W/tpl/gp-$EXTRA --version 1.0.0 --defaults --no-input --set service_name=orders-api"
  --case "goldpath new ref-$EXTRA --no-commit" "rm -rf {OUT}" "$GP new reference-service {OUT} --from file://$W/tpl/gp-$EXTRA --version 1.0.0 --defaults --no-input --set service_name=orders-api --no-commit"
  --case "copier copy ref-$EXTRA" "rm -rf {OUT}" "$COPIER copy --quiet --defaults --vcs-ref v1.0.0 -d service_name=orders-api $W/tpl/copier-$EXTRA {OUT}"
)
[[ -n $KICKSTART ]] && NEW_EXTRA_CASES+=(--case "kickstart ref-$EXTRA" "rm -rf {OUT}" "$KICKSTART $W/tpl/kickstart-$EXTRA -o {OUT} -i $W/tpl/kickstart-$EXTRA/answers.json")
python3 "$BENCHES/timing.py" run --results "$RESULTS" --group "new-$EXTRA" --runs "$SLOW_RUNS" --warmup 1 \
  --out-dirs "$(out_dirs ${#NEW_EXTRA_CASES[@]})" "${NEW_EXTRA_CASES[@]}"

# ---------------------------------------------------------------------------------------------
say "2. upgrade v1.0.0 -> v2.0.0 after local edits"
UPGRADE_ROWS=()
if [[ -n ${ONLY_NEW:-} ]]; then
  note "SKIPPED (ONLY_NEW)"
elif has_cmd upgrade; then
  GP_UPGRADE_FLAGS="--to 2.0.0$(flag_if_known upgrade --defaults)$(flag_if_known upgrade --no-input)"
  note "goldpath upgrade DIR $GP_UPGRADE_FLAGS"
  # One untimed run of each, to check the outcome and keep it for the report.
  for n in 23 "$EXTRA"; do
    for tool in goldpath copier; do
      p=$W/proj/$tool-$n
      if [[ $tool == goldpath ]]; then cmd=("$GP" upgrade "$p" $GP_UPGRADE_FLAGS)
      else cmd=("$COPIER" update --quiet --defaults --vcs-ref v2.0.0 "$p"); fi
      set +e; "${cmd[@]}" > "$W/upgrade-$tool-$n.log" 2>&1; rc=$?; set -e
      note "$tool ($(files "$n")): exit $rc$([[ $rc -gt 1 ]] && echo ": $(head -n 3 "$W/upgrade-$tool-$n.log")")"
      rm -rf "$W/upgraded/$tool-$n"; mkdir -p "$W/upgraded"; cp -a "$p" "$W/upgraded/$tool-$n"
      echo "$rc" > "$W/upgraded/$tool-$n.rc"; cp "$W/upgrade-$tool-$n.log" "$W/upgraded/$tool-$n.log"
      eval "$(restore "$p")"
    done
  done
  for n in 23 "$EXTRA"; do
    python3 "$BENCHES/timing.py" run --results "$RESULTS" --group "upgrade-$n" \
      --runs "$([[ $n == 23 ]] && echo "$RUNS" || echo "$SLOW_RUNS")" --warmup 1 \
      --case "goldpath upgrade ref-$n" "$(restore "$W/proj/goldpath-$n")" "$GP upgrade $W/proj/goldpath-$n $GP_UPGRADE_FLAGS" \
      --case "copier update ref-$n" "$(restore "$W/proj/copier-$n")" "$COPIER update --quiet --defaults --vcs-ref v2.0.0 $W/proj/copier-$n"
    UPGRADE_ROWS+=(--row "upgrade 1.0.0 -> 2.0.0, $(files "$n")|goldpath upgrade ref-$n|copier update ref-$n|30")
  done
  # Leave the projects as they were, for check.
  for p in "$W"/proj/*-23 "$W"/proj/*-"$EXTRA"; do eval "$(restore "$p")"; done
else
  note "SKIPPED: \`goldpath upgrade\` does not exist in this build (\`goldpath upgrade --help\` failed); no numbers"
  SKIPS+=(--skip "upgrade 1.0.0 -> 2.0.0, $(files 23)|\`goldpath upgrade\` does not exist in this build")
  SKIPS+=(--skip "upgrade 1.0.0 -> 2.0.0, $(files "$EXTRA")|\`goldpath upgrade\` does not exist in this build")
fi

# ---------------------------------------------------------------------------------------------
say "3. check (the edited v1.0.0 projects; v2.0.0 is available)"
CHECK_ROWS=()
if [[ -n ${ONLY_NEW:-} ]]; then
  note "SKIPPED (ONLY_NEW)"
elif has_cmd check; then
  for n in 23 "$EXTRA"; do
    python3 "$BENCHES/timing.py" run --results "$RESULTS" --group "check-$n" \
      --runs "$([[ $n == 23 ]] && echo "$RUNS" || echo "$SLOW_RUNS")" --warmup "$WARMUP" \
      --case "goldpath check ref-$n" "" "$GP check $W/proj/goldpath-$n" \
      --case "copier check-update ref-$n" "" "$COPIER check-update $W/proj/copier-$n"
  done
  CHECK_ROWS=(--row "check, $(files 23)|goldpath check ref-23|copier check-update ref-23|25|20"
              --row "check, $(files "$EXTRA")|goldpath check ref-$EXTRA|copier check-update ref-$EXTRA|25")
else
  note "SKIPPED: \`goldpath check\` does not exist in this build (\`goldpath check --help\` failed); no numbers"
  SKIPS+=(--skip "check, $(files 23)|\`goldpath check\` does not exist in this build")
fi

# ---------------------------------------------------------------------------------------------
if [[ -d $W/upgraded ]]; then
  say "what each upgrade did with the local edits (23 files; full trees in $W/upgraded)"
  edit_report() { # DIR
    local d=$1 r=()
    if [[ -f $d/alerts/slo-rules.yaml ]] && grep -q 'for: 5m' "$d/alerts/slo-rules.yaml"; then r+=("for: 5m kept in alerts/slo-rules.yaml")
    elif [[ -f $d/alerts/rules.yaml ]] && grep -q 'for: 5m' "$d/alerts/rules.yaml"; then r+=("for: 5m kept, but in alerts/rules.yaml (not renamed)")
    else r+=("for: 5m LOST"); fi
    if [[ -f $d/.dockerignore ]] && grep -q '^\*\.log$' "$d/.dockerignore"; then r+=(".dockerignore kept with the edit")
    else r+=(".dockerignore DELETED"); fi
    grep -q '^replicaCount: 4$' "$d/chart/values.yaml" && r+=("replicaCount: 4 kept") || r+=("replicaCount: 4 LOST")
    grep -q 'minReplicas: 3' "$d/chart/values.yaml" && r+=("minReplicas: 3 (v2)") || r+=("minReplicas NOT updated")
    grep -q 'rust:1.86' "$d/Dockerfile" && grep -q '^LABEL' "$d/Dockerfile" && r+=("Dockerfile: v2 base + LABEL") || r+=("Dockerfile: merge incomplete")
    [[ -f $d/chart/templates/pdb.yaml ]] && r+=("pdb.yaml added") || r+=("pdb.yaml MISSING")
    local c; c=$(grep -rl --exclude-dir=.git '^<<<<<<<' "$d" 2>/dev/null | wc -l)
    [[ $c -gt 0 ]] && r+=("$c file(s) with conflict markers")
    local u; u=$(git -C "$d" diff --name-only --diff-filter=U 2>/dev/null | tr '\n' ' ')
    [[ -n $u ]] && r+=("left unmerged for the user: ${u% }")
    local rej; rej=$(find "$d" -name '*.rej' -not -path '*/.git/*' | wc -l)
    [[ $rej -gt 0 ]] && r+=("$rej .rej file(s)")
    local IFS=';'; echo "${r[*]}" | sed 's/;/; /g'
  }
  for tool in copier goldpath; do
    note "$tool (exit $(cat "$W/upgraded/$tool-23.rc")): $(edit_report "$W/upgraded/$tool-23")"
  done
  if diff -r "${ANSWER_FILES[@]}" "$W/upgraded/copier-23" "$W/upgraded/goldpath-23" > "$W/upgraded/diff-23"; then
    note "upgraded trees: identical"
  else
    note "upgraded trees differ (diff copier goldpath, answers files ignored):"
    sed 's/^/      /' "$W/upgraded/diff-23" | head -n 40
  fi
fi

# ---------------------------------------------------------------------------------------------
say "results (median of alternating runs; ratio = peer median / goldpath median; cpu ratio = same on user+sys CPU time)"
note "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
KS_ROWS=()
[[ -n $KICKSTART ]] && KS_ROWS=(--row "new ref-23 vs kickstart|goldpath new ref-23|kickstart ref-23|1|"
                                --row "new ref-23 --no-commit vs kickstart|goldpath new ref-23 --no-commit|kickstart ref-23|1.2|"
                                --row "new ref-$EXTRA vs kickstart|goldpath new ref-$EXTRA|kickstart ref-$EXTRA|1|"
                                --row "new ref-$EXTRA --no-commit vs kickstart|goldpath new ref-$EXTRA --no-commit|kickstart ref-$EXTRA|1.2|")
python3 "$BENCHES/timing.py" table --results "$RESULTS" \
  --row "new reference-service, $(files 23)|goldpath new ref-23|copier copy ref-23|30" \
  --row "new reference-service, $(files 23), --no-commit|goldpath new ref-23 --no-commit|copier copy ref-23|30" \
  "${RUST_SERVICE_ROW[@]}" \
  --row "new reference-service, $(files "$EXTRA")|goldpath new ref-$EXTRA|copier copy ref-$EXTRA|20" \
  "${KS_ROWS[@]}" "${UPGRADE_ROWS[@]}" "${CHECK_ROWS[@]}" "${SKIPS[@]}"
echo
[[ $IDENTITY_OK == 1 ]] && note "render identity: goldpath and copier render identical files in every case checked" \
                        || note "render identity: DIFFERENCES found, see above; the comparison is not like for like"
note "raw samples: $RESULTS"
