/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The target-side stub (SPEC 9.7): script generation and outcome.
 *
 * How the script works, for readers of the generated text:
 * - everything runs inside the function pogo_stub, called on the last
 *   line, so sh has parsed the whole script before the first command runs
 *   (nothing is left in a PTY's input for a program that reads it);
 * - the command, hooks and pauses run in the background followed by
 *   `wait`, because POSIX lets a trapped signal interrupt `wait` but not a
 *   foreground command: HUP, INT, TERM and the watchdog's ALRM act at once;
 * - the watchdog is a background subshell that sleeps `timeout` seconds
 *   and sends ALRM to the stub; it is stopped after every attempt with
 *   USR1, not TERM: the stub traps TERM, and a subshell inherits that
 *   handler until it resets its traps, so a TERM that arrived before the
 *   subshell had set its own trap was lost (dash: nearly always, for a
 *   command that ends at once), the stub waited for the whole sleep and
 *   then took its ALRM for a timeout; USR1, which the stub leaves at its
 *   default, ends a subshell that has not set its trap yet;
 * - on a timeout or a signal the stub ignores TERM and sends it to its
 *   process group (kill 0), which holds the command and all it started:
 *   sshd and the local executor make the stub a process-group leader;
 * - messages with variable text use printf '%s', never echo (dash's echo
 *   interprets backslashes).
 */
#include "pogo/compat.h"

#include <uv.h>

#include "pogo/log.h"
#include "pogo/stub.h"
#include "pogo/xmalloc.h"

struct stub_buf {
	char *d;
	size_t len;
	size_t cap;
};

static void
stub_put(struct stub_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->d = xreallocarray(b->d, b->cap, 1);
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
	b->d[b->len] = '\0';
}

static void
stub_puts(struct stub_buf *b, const char *s)
{
	stub_put(b, s, strlen(s));
}

/* Append Q(s) of SPEC 9.5 for the first n bytes of s. */
static void
stub_quote(struct stub_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	stub_put(b, "'", 1);
	for (i = 0; i < n; i++) {
		if (s[i] != '\'')
			continue;
		stub_put(b, s + start, i - start);
		stub_put(b, "'\\''", 4);
		start = i + 1;
	}
	stub_put(b, s + start, n - start);
	stub_put(b, "'", 1);
}

/* Append "name=Q(value)\n". */
static void
stub_var(struct stub_buf *b, const char *name, const char *value)
{
	stub_puts(b, name);
	stub_put(b, "=", 1);
	stub_quote(b, value, strlen(value));
	stub_put(b, "\n", 1);
}

bool
pogo_stub_needed(const struct pogo_exec_stub *s)
{
	return s != NULL &&
	    (s->retry > 0 || s->prehook || s->posthook || s->lock ||
	        s->exe_name != NULL);
}

int
pogo_stub_random(char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char rnd[POGO_STUB_RANDOM_HEX / 2];
	size_t i;
	int r;

	if ((r = uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL)) != 0)
		return r;
	for (i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = digits[rnd[i] >> 4];
		hex[2 * i + 1] = digits[rnd[i] & 0xf];
	}
	hex[POGO_STUB_RANDOM_HEX] = '\0';
	return 0;
}

uint64_t
pogo_stub_run_limit(const struct pogo_exec_task *t)
{
	unsigned retry = t->stub != NULL ? t->stub->retry : 0;

	if (t->timeout == 0)
		return 0;
	return ((uint64_t)retry + 1) *
	    ((uint64_t)t->timeout + POGO_STUB_SLACK_ATTEMPT) +
	    POGO_STUB_SLACK_RUN;
}

/* The functions every stub has: abort, signals, background runs. */
static const char stub_common[] =
    "pogo_die() {\n"
    "\ttrap '' HUP INT TERM ALRM\n"
    "\tif [ -n \"$pogo_script\" ]; then rm -f \"$pogo_script\"; fi\n"
    "\tif [ \"$pogo_locked\" = 1 ]; then\n"
    "\t\tprintf '%s\\n' 'pogo-worker: unlocking'\n"
    "\t\trm -f \"$pogo_lockfile\"\n"
    "\tfi\n"
    "\tprintf 'ERROR: pogo-worker died: %s\\n' \"$1\"\n"
    "\texit \"${2:-254}\"\n"
    "}\n"
    "pogo_sig() {\n"
    "\ttrap '' HUP INT TERM ALRM\n"
    "\tkill -s TERM 0 2>/dev/null\n"
    "\tpogo_die \"$1\"\n"
    "}\n"
    "trap 'pogo_sig \"got SIGHUP\"' HUP\n"
    "trap 'pogo_sig \"got SIGINT\"' INT\n"
    "trap 'pogo_sig \"got SIGTERM\"' TERM\n"
    "trap 'pogo_sig \"command timed out\"' ALRM\n"
    "pogo_run() {\n"
    "\t\"$@\" </dev/null &\n"
    "\tpogo_pid=$!\n"
    "\twait \"$pogo_pid\"\n"
    "\tpogo_rc=$?\n"
    "}\n";

/* Hooks: the executable files of a directory, in byte order of names. */
static const char stub_hooks[] =
    "pogo_hooks() {\n"
    "\tpogo_d=$1\n"
    "\tif [ ! -d \"$pogo_d\" ]; then return 0; fi\n"
    "\tpogo_names=$(ls -A \"$pogo_d\" | LC_ALL=C sort)\n"
    "\tpogo_ifs=$IFS\n"
    "\tset -f\n"
    "\tIFS='\n'\n"
    "\tfor pogo_n in $pogo_names; do\n"
    "\t\tIFS=$pogo_ifs\n"
    "\t\tcase $pogo_n in .*) continue ;; esac\n"
    "\t\tpogo_p=$pogo_d/$pogo_n\n"
    "\t\tif [ -f \"$pogo_p\" ] && [ -x \"$pogo_p\" ]; then\n"
    "\t\t\tprintf \"pogo-worker: running hook '%s'\\n\" \"$pogo_p\"\n"
    "\t\t\tpogo_run \"$pogo_p\"\n"
    "\t\t\tif [ \"$pogo_rc\" -ne 0 ]; then\n"
    "\t\t\t\tpogo_die \"hook '$pogo_p' exited $pogo_rc, bailing out\"\n"
    "\t\t\tfi\n"
    "\t\tfi\n"
    "\tdone\n"
    "\tIFS=$pogo_ifs\n"
    "\tset +f\n"
    "}\n";

/* The target lock (SPEC 9.7 step 3). */
static const char stub_lock[] =
    "pogo_lock() {\n"
    "\t(umask 022; set -C; printf '%s\\n' \"$$\" >\"$pogo_lockfile\") "
    "2>/dev/null\n"
    "}\n"
    "if ! pogo_lock; then\n"
    "\tpogo_p=$(cat \"$pogo_lockfile\" 2>/dev/null)\n"
    "\tcase $pogo_p in\n"
    "\t''|*[!0-9]*) ;;\n"
    "\t*)\n"
    "\t\tif kill -0 \"$pogo_p\" 2>/dev/null || [ -d \"/proc/$pogo_p\" ]; "
    "then\n"
    "\t\t\tpogo_die \"another pogo-worker is running (pid $pogo_p), "
    "bailing out\"\n"
    "\t\tfi\n"
    "\t\t;;\n"
    "\tesac\n"
    "\tprintf '%s\\n' 'pogo-worker: cleaning up stale lockfile'\n"
    "\trm -f \"$pogo_lockfile\"\n"
    "\tif ! pogo_lock; then\n"
    "\t\tpogo_die \"can't obtain lockfile, bailing out\"\n"
    "\tfi\n"
    "fi\n"
    "pogo_locked=1\n";

/* One attempt of the command under the watchdog; sets pogo_rc. */
static const char stub_attempt[] =
    "pogo_attempt() {\n"
    "\tpogo_wd=\n"
    "\tif [ \"$pogo_timeout\" -gt 0 ]; then\n"
    "\t\t(\n"
    "\t\t\tpogo_s=\n"
    "\t\t\ttrap 'kill $pogo_s 2>/dev/null; exit 0' USR1\n"
    "\t\t\tsleep \"$pogo_timeout\" &\n"
    "\t\t\tpogo_s=$!\n"
    "\t\t\twait \"$pogo_s\" && kill -s ALRM $$\n"
    "\t\t) </dev/null >/dev/null 2>&1 &\n"
    "\t\tpogo_wd=$!\n"
    "\tfi\n"
    "\tpogo_run sh -c \"$pogo_cmd\"\n"
    "\tif [ -n \"$pogo_wd\" ]; then\n"
    "\t\tkill -s USR1 \"$pogo_wd\" 2>/dev/null\n"
    "\t\twait \"$pogo_wd\" 2>/dev/null\n"
    "\t\tpogo_wd=\n"
    "\tfi\n"
    "}\n";

/* The attempts, retries and their messages (SPEC 9.7 step 6). */
static const char stub_command[] =
    "printf \"pogo-worker: running command '%s'\\n\" \"$pogo_cmd\"\n"
    "pogo_k=0\n"
    "while :; do\n"
    "\tpogo_attempt\n"
    "\tif [ \"$pogo_rc\" -eq 0 ]; then break; fi\n"
    "\tif [ \"$pogo_k\" -eq 0 ]; then\n"
    "\t\tprintf 'WARNING: pogo-worker: command exited %s\\n' "
    "\"$pogo_rc\"\n"
    "\telse\n"
    "\t\tprintf 'WARNING: pogo-worker: command exited %s, retry %s of "
    "%s\\n' \"$pogo_rc\" \"$pogo_k\" \"$pogo_retry\"\n"
    "\tfi\n"
    "\tif [ \"$pogo_k\" -ge \"$pogo_retry\" ]; then\n"
    "\t\tpogo_die \"command exited $pogo_rc\" \"$pogo_rc\"\n"
    "\tfi\n"
    "\tpogo_k=$((pogo_k + 1))\n"
    "\tpogo_run sleep 5\n"
    "done\n"
    "printf '%s\\n' 'pogo-worker: command exit 0'\n";

static const char stub_end[] =
    "if [ -n \"$pogo_script\" ]; then rm -f \"$pogo_script\"; fi\n"
    "if [ \"$pogo_locked\" = 1 ]; then\n"
    "\tpogo_locked=0\n"
    "\trm -f \"$pogo_lockfile\"\n"
    "fi\n"
    "printf '\\n'\n"
    "exit 0\n"
    "}\n"
    "pogo_stub; exit $?\n";

/*
 * The attached script (SPEC 9.7 step 4): a quoted here-document for the
 * text up to its last newline, printf for a last line without one, so
 * the file gets exactly the bytes of exe_data.
 */
static void
stub_attach(struct stub_buf *b, const struct pogo_exec_stub *s, const char *rnd)
{
	const char *data = s->exe_data != NULL ? s->exe_data : "";
	size_t len = strlen(data), full = len, n;
	char *path, *delim;

	while (full > 0 && data[full - 1] != '\n')
		full--;
	xasprintf(
	    &path, "%s/pogo_%s_%.16s", POGO_STUB_TMPDIR, s->exe_name, rnd);
	/* A delimiter that occurs nowhere in the text. */
	xasprintf(&delim, "POGO_EOF_%s", rnd);
	for (n = 0; strstr(data, delim) != NULL && n < 64; n++) {
		char *longer;

		xasprintf(&longer, "%s_%s", delim, rnd);
		free(delim);
		delim = longer;
	}
	stub_var(b, "pogo_f", path);
	stub_puts(b, "(umask 077; set -C; cat >\"$pogo_f\") <<'");
	stub_puts(b, delim);
	stub_puts(b, "' || pogo_die \"cannot create $pogo_f\"\n");
	stub_put(b, data, full);
	stub_puts(b, delim);
	stub_puts(b, "\n");
	stub_puts(b, "pogo_script=$pogo_f\n");
	if (full < len) {
		stub_puts(b, "printf '%s' ");
		stub_quote(b, data + full, len - full);
		stub_puts(b,
		    " >>\"$pogo_script\" || pogo_die \"cannot write "
		    "$pogo_script\"\n");
	}
	stub_puts(b,
	    "chmod 700 \"$pogo_script\" || pogo_die \"cannot write "
	    "$pogo_script\"\n"
	    "pogo_cmd=$pogo_script\n");
	free(delim);
	free(path);
}

char *
pogo_stub_script(
    const struct pogo_exec_task *t, const char *rnd, const char *lockfile)
{
	const struct pogo_exec_stub *s = t->stub;
	const char *hook_dir;
	struct stub_buf b = { 0 };
	char *line;

	POGO_ASSERT(s != NULL);
	hook_dir = s->hook_dir != NULL ? s->hook_dir : POGO_STUB_HOOK_DIR;
	stub_puts(&b,
	    "pogo_stub() {\n"
	    "PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:"
	    "/sbin\n");
	stub_var(&b, "POGO_JOB_ID", t->job_id);
	stub_var(&b, "POGO_HOST", t->host);
	stub_puts(&b, "export PATH POGO_JOB_ID POGO_HOST\n");
	stub_var(&b, "pogo_cmd", t->command);
	xasprintf(
	    &line, "pogo_retry=%u\npogo_timeout=%u\n", s->retry, t->timeout);
	stub_puts(&b, line);
	free(line);
	stub_var(&b, "pogo_lockfile",
	    lockfile != NULL ? lockfile : POGO_STUB_LOCKFILE);
	stub_puts(&b, "pogo_locked=0\npogo_script=\n");
	stub_puts(&b, stub_common);
	stub_puts(&b, stub_attempt);
	if (s->prehook || s->posthook)
		stub_puts(&b, stub_hooks);
	stub_puts(&b,
	    "printf '\\n'\n"
	    "printf 'pogo-worker: loaded; retry=%s, timeout=%s\\n' "
	    "\"$pogo_retry\" \"$pogo_timeout\"\n"
	    "printf \"pogo-worker: command='%s'\\n\" \"$pogo_cmd\"\n");
	if (s->lock)
		stub_puts(&b, stub_lock);
	if (s->exe_name != NULL)
		stub_attach(&b, s, rnd);
	if (s->prehook) {
		stub_puts(&b, "pogo_hooks ");
		xasprintf(&line, "%s/pre.d", hook_dir);
		stub_quote(&b, line, strlen(line));
		free(line);
		stub_puts(&b, "\n");
	}
	stub_puts(&b, stub_command);
	if (s->posthook) {
		stub_puts(&b, "pogo_hooks ");
		xasprintf(&line, "%s/post.d", hook_dir);
		stub_quote(&b, line, strlen(line));
		free(line);
		stub_puts(&b, "\n");
	}
	stub_puts(&b, stub_end);
	return b.d;
}

void
pogo_stub_tail_feed(
    struct pogo_stub_tail *tl, const char *data, size_t len, bool eol)
{
	size_t room;

	/* A record after a complete line starts a new line. */
	if (tl->eol)
		tl->len = 0;
	room = sizeof(tl->line) - 1 - tl->len;
	if (len > room)
		len = room;
	memcpy(tl->line + tl->len, data, len);
	tl->len += len;
	tl->line[tl->len] = '\0';
	tl->eol = eol;
}

void
pogo_stub_result(struct pogo_exec_result *r, const struct pogo_stub_tail *tl,
    int status, int signal, unsigned timeout)
{
	static const char died[] = "ERROR: pogo-worker died: ";
	const char *reason;
	char want[64];

	if (signal == 0 && status == 0) {
		pogo_exec_result_set(r, POGO_EXEC_FINISHED, 0, "ok");
		return;
	}
	if (strncmp(tl->line, died, sizeof(died) - 1) != 0) {
		pogo_exec_result_exit(r, status, signal);
		return;
	}
	reason = tl->line + sizeof(died) - 1;
	snprintf(want, sizeof(want), "command exited %d", status);
	if (signal == 0 && strcmp(reason, want) == 0) {
		pogo_exec_result_exit(r, status, 0);
		return;
	}
	if (strcmp(reason, "command timed out") == 0) {
		pogo_exec_result_set(r, POGO_EXEC_FAILED, -1,
		    "timed out after %u seconds", timeout);
		r->timed_out = true;
		return;
	}
	pogo_exec_result_set(r, POGO_EXEC_FAILED, 254, "%s", reason);
}
