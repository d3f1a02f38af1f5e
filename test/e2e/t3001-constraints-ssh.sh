#!/bin/sh
# Constraints and sequences proven from server-side timestamps: for
# max_parallel N, P% and per-value limits the peak overlap of each group
# is at most its limit and reaches it, and no slot starts before every
# host of the slot before it is final.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1
: >"$T/ev"
chmod 666 "$T/ev"
# Each run lasts 1.2 s, so that a loaded machine still starts every host a
# limit allows while the first of them runs (0.4 s once gave a peak of 3
# for a limit of 4 in CI: the peak must reach the limit, not only stay
# under it).
CMD="a=\$(echo \$SSH_CONNECTION | cut -d' ' -f3); echo start \$a \$(date +%s.%N) >>$T/ev; sleep 1.2; echo end \$a \$(date +%s.%N) >>$T/ev"

cat >"$T/c1.yaml" <<'EOY'
tag:
  colo:
    east: ["127.0.10.[1-8]"]
    west: ["127.0.11.[1-8]"]
  rack:
    r1: ["127.0.12.[1-10]"]
sequence:
  - $colo.east
  - $colo.west
constraint:
  $colo:
    max_parallel: 3
  $rack.r1:
    max_parallel: 40%
EOY
pogo_one --config "$T/c1.yaml" \
    --targets '127.0.10.[1-8],127.0.11.[1-8],127.0.12.[1-10]' \
    --run-command "$CMD" >"$T/out" 2>"$T/err" || fail "job 1: $(cat "$T/err")"
east=$(seq -f '127.0.10.%g' 1 8)
west=$(seq -f '127.0.11.%g' 1 8)
r1=$(seq -f '127.0.12.%g' 1 10)
expect_eq "runs" "$(grep -c '^start' "$T/ev")" 26
expect_eq "per-value east peak" "$(peak_overlap "$T/ev" $east)" 3
expect_eq "per-value west peak" "$(peak_overlap "$T/ev" $west)" 3
expect_eq "40% of 10 peak" "$(peak_overlap "$T/ev" $r1)" 4
# The sequence: every east end comes before any west start.
last_east=$(awk '$1 == "end" && $2 ~ /^127\.0\.10\./ {print $3}' "$T/ev" | sort -g | tail -n1)
first_west=$(awk '$1 == "start" && $2 ~ /^127\.0\.11\./ {print $3}' "$T/ev" | sort -g | head -n1)
awk -v a="$last_east" -v b="$first_west" 'BEGIN { exit !(a <= b) }' ||
    fail "west started at $first_west before east ended at $last_east"
# The unsequenced rack ran alongside the east colo, not after it.
first_r1=$(awk '$1 == "start" && $2 ~ /^127\.0\.12\./ {print $3}' "$T/ev" | sort -g | head -n1)
awk -v a="$first_r1" -v b="$last_east" 'BEGIN { exit !(a < b) }' ||
    fail "the unconstrained thread waited for the sequence"

# Per-value percentages, and a plain N over a filtered group.
: >"$T/ev"
cat >"$T/c2.yaml" <<'EOY'
tag:
  role:
    web: ["127.0.13.[1-10]"]
    db: ["127.0.14.[1-4]"]
  canary: ["127.0.13.[1-3]", "127.0.14.1"]
constraint:
  $role:
    max_parallel: 50%
  $canary:
    $role.web:
      max_parallel: 1
EOY
pogo_one --config "$T/c2.yaml" --targets '127.0.13.[1-10],127.0.14.[1-4]' \
    --run-command "$CMD" >"$T/out" 2>"$T/err" || fail "job 2: $(cat "$T/err")"
expect_eq "50% of web" "$(peak_overlap "$T/ev" $(seq -f '127.0.13.%g' 1 10))" 5
expect_eq "50% of db" "$(peak_overlap "$T/ev" $(seq -f '127.0.14.%g' 1 4))" 2
expect_eq "canary web" "$(peak_overlap "$T/ev" 127.0.13.1 127.0.13.2 127.0.13.3)" 1

# A failed host holds its unit: with limit 2 and one failure, the rest of
# the group runs one at a time, and two failures stop the group.
: >"$T/ev"
cat >"$T/c3.yaml" <<'EOY'
tag:
  g: ["127.0.15.[1-6]"]
constraint:
  $g:
    max_parallel: 2
EOY
pogo_one --config "$T/c3.yaml" --targets '127.0.15.[1-6]' \
    --run-command "$CMD; case \$SSH_CONNECTION in *127.0.15.6\ *|*127.0.15.5\ *) exit 1;; esac" \
    >"$T/out" 2>"$T/err"
expect_eq "failing group exit" $? 1
expect_eq "deadlocked hosts" "$(grep -c ': Deadlocked$' "$T/out")" 4
expect_eq "ran" "$(grep -c '^start' "$T/ev")" 2
echo "PASS $E2E_NAME"
