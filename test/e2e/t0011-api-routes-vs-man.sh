#!/bin/sh
# pogo-api(8) documents every endpoint of the route tables, each with an
# example, and nothing else (as t0010 does for subcommands): the control
# port's table (src/dispatcher.c disp_routes, which pogo api forwards;
# /v1/jobsubmit is the control port's own, reached as POST /v1/jobs) and
# pogo api's own (src/api.c api_routes), plus the web UI's fallback
# (GET /ui/path, answered outside the table).
. "$(dirname "$0")/lib.sh"
e2e_init
command -v mandoc >/dev/null || skip "no mandoc (apt-get install mandoc)"

# table FILE NAME: "METHOD PATTERN" of each row of the route table NAME,
# ":param" written "param" as the manual writes it.
table() {
	awk -v name="$2" '$0 ~ "pogo_http_route " name "\\[\\] = \\{" {on = 1; next}
	    on && /^};/ {exit}
	    on && /\{ *"[A-Z]+", *"\// {print}' "$1" |
	    sed 's/.*{ *"\([A-Z]*\)", *"\([^"]*\)".*/\1 \2/; s/:\([a-z]*\)/\1/g'
}

{
	table "$POGO_SRC/src/dispatcher.c" disp_routes |
	    grep -v '^POST /v1/jobsubmit$'
	table "$POGO_SRC/src/api.c" api_routes
	echo "GET /ui/path"
} | sort -u >"$T/routes"
[ "$(wc -l <"$T/routes")" -ge 20 ] || fail "route tables not found: $(cat "$T/routes")"

# pogo api sends on only what its authorisation table knows (src/api-auth.c
# auth_routes, review4 F-P): the same routes as the control port's table.
awk '/^} auth_routes\[\] = \{/ {on = 1; next} on && /^};/ {exit}
    on && /\{ *"[A-Z]+", *"\// {print}' "$POGO_SRC/src/api-auth.c" |
    sed 's/.*{ *"\([A-Z]*\)", *"\([^"]*\)".*/\1 \2/' | sort >"$T/auth"
awk '$0 ~ "pogo_http_route disp_routes\\[\\] = \\{" {on = 1; next}
    on && /^};/ {exit}
    on && /\{ *"[A-Z]+", *"\// {print}' "$POGO_SRC/src/dispatcher.c" |
    sed 's/.*{ *"\([A-Z]*\)", *"\([^"]*\)".*/\1 \2/' |
    grep -v '^POST /v1/jobsubmit$' | sort >"$T/disp"
[ "$(wc -l <"$T/auth")" -ge 18 ] || fail "auth_routes not found: $(cat "$T/auth")"
diff "$T/disp" "$T/auth" >"$T/diff" ||
    fail "disp_routes (<) and api-auth.c auth_routes (>) differ: $(cat "$T/diff")"

mandoc -Tascii -Owidth=400 "$POGO_SRC/man/pogo-api.8" | sed 's/.\x08//g' |
    awk '/^ENDPOINTS/ {on = 1; next} on && /^[A-Z]/ {exit} on' \
    >"$T/endpoints"
awk '/^     (GET|POST) / {print $1, $2}' "$T/endpoints" | sort >"$T/man.all"
sort -u "$T/man.all" >"$T/man"
cmp -s "$T/man.all" "$T/man" || fail "an endpoint is documented twice"
diff "$T/routes" "$T/man" >"$T/diff" ||
    fail "route tables (<) and pogo-api.8 ENDPOINTS (>) differ: $(cat "$T/diff")"

# Every endpoint has an example: a curl line before the next endpoint.
awk '/^     (GET|POST) / {if (item != "" && !ex) {print item}; item = $1 " " $2; ex = 0}
    /^ +curl / {ex = 1}
    END {if (item != "" && !ex) print item}' "$T/endpoints" >"$T/noex"
[ -s "$T/noex" ] && fail "endpoints without an example: $(cat "$T/noex")"
echo "PASS $E2E_NAME ($(wc -l <"$T/routes") endpoints)"
