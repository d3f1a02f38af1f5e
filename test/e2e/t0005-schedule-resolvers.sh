#!/bin/sh
# C-031, C-032, C-010 with real resolver executables (SPEC 2.7): arguments
# without a shell, first directory of the path wins, failures are
# configuration errors.
. "$(dirname "$0")/lib.sh"
e2e_init

mkdir -p "$T/r1" "$T/r2" "$T/r3"
cat >"$T/r1/Example" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$T/args"
echo '# a comment'
echo
echo foo
echo bar
EOS
cat >"$T/r2/Example" <<'EOS'
#!/bin/sh
echo other
EOS
cat >"$T/r3/Example" <<'EOS'
#!/bin/sh
exit 1
EOS
chmod +x "$T"/r*/Example

printf 'tag:\nsequence: ["Example bonk schtonk"]\n' >"$T/c031.yaml"
"$POGO" schedule "$T/c031.yaml" --resolver-path "$T/r1:$T/r2" \
    >"$T/out" 2>"$T/err" || fail "C-031: $(cat "$T/err")"
grep -q '| *foo, bar *|' "$T/out" || fail "C-031: slot is not 'foo, bar'"
expect_eq "C-031 arguments" "$(cat "$T/args")" "bonk
schtonk"

# C-010: the first directory wins.
"$POGO" schedule "$T/c031.yaml" --resolver-path "$T/r2:$T/r1" \
    >"$T/out" 2>"$T/err" || fail "C-010 order"
grep -q '| *other *|' "$T/out" || fail "C-010: second directory used"

# C-032: on job hosts bar, baz: bar in the slot, baz unconstrained.
printf 'tag:\nsequence: [Example x]\n' >"$T/c032.yaml"
"$POGO" schedule "$T/c032.yaml" --resolver-path "$T/r1" \
    --targets bar,baz >"$T/out" || fail "C-032"
sed -n '/thread-000000000/{n;p;}' "$T/out" | grep -q '| bar ' ||
    fail "C-032: bar not in the slot"
sed -n '/unconstrained/{n;p;}' "$T/out" | grep -q '| baz ' ||
    fail "C-032: baz not unconstrained"

# C-010: a resolver that exits 1 makes the configuration invalid.
"$POGO" schedule "$T/c032.yaml" --resolver-path "$T/r3" >"$T/out" \
    2>"$T/err"
expect_eq "failing resolver status" $? 2
expect_eq "failing resolver" "$(cat "$T/err")" \
    "line 2, column 12: resolver 'Example' failed: exit status 1"
[ -s "$T/out" ] && fail "stdout not empty"
"$POGO" schedule "$T/c032.yaml" --resolver-path "$T/none" >"$T/out" \
    2>"$T/err"
expect_eq "missing resolver status" $? 2
grep -q "resolver 'Example' failed: not found" "$T/err" ||
    fail "missing resolver: $(cat "$T/err")"
# Resolvers are used in constraints too (per SPEC 2.5 rule 2).
printf 'tag:\nconstraint:\n  Example z:\n    max_parallel: 1\n' >"$T/con.yaml"
"$POGO" schedule "$T/con.yaml" --resolver-path "$T/r1" --targets foo,bar \
    >"$T/out" 2>"$T/err" || fail "constraint resolver: $(cat "$T/err")"
echo "PASS $E2E_NAME"
