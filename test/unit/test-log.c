/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/log.c's queue for the lines of other threads (libssh's
 * setup threads): while a writer is set, their lines wait for the
 * writer's thread, at most 1 MiB of them; a thread that finds no room
 * waits for it, and after 10 s drops its line and has the drop told;
 * unsetting the writer and fatal() write what is queued first.
 */
#include "pogo/compat.h"

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define QUEUE_MAX (1024 * 1024) /* LOG_PENDING_MAX */

/* What the writer was handed, on the test's (the writer's) thread. */
struct got {
	char *p;
	size_t len;
	size_t max_chunk;
	int chunks;
};

static struct got got;
static unsigned wakes; /* atomic: the wake is called by other threads */

static void
got_writer(const char *line, size_t len, void *arg)
{
	struct got *g = arg;

	g->p = xreallocarray(g->p, g->len + len + 1, 1);
	memcpy(g->p + g->len, line, len);
	g->len += len;
	g->p[g->len] = '\0';
	if (len > g->max_chunk)
		g->max_chunk = len;
	g->chunks++;
}

static void
got_wake(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&wakes, 1, __ATOMIC_RELAXED);
}

static void
got_reset(void)
{
	free(got.p);
	memset(&got, 0, sizeof(got));
	__atomic_store_n(&wakes, 0, __ATOMIC_RELAXED);
}

/* A thread writing lines "other NNNNNN xxx...": all of one length. */
struct writer_thread {
	pthread_t th;
	int lines;
	int done; /* atomic: lines whose log_info has returned */
};

#define PAD 900

static void
log_numbered(int i)
{
	static char pad[PAD + 1]; /* made by line_len(), before any thread */

	if (pad[0] == '\0')
		memset(pad, 'x', PAD);
	log_info("other %06d %s", i, pad);
}

static void *
writer_thread_main(void *arg)
{
	struct writer_thread *t = arg;
	int i;

	for (i = 0; i < t->lines; i++) {
		log_numbered(i);
		__atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Start the thread; false if it cannot be (no ASSERT: forked children). */
static bool
writer_thread_start(struct writer_thread *t, int lines)
{
	memset(t, 0, sizeof(*t));
	t->lines = lines;
	return pthread_create(&t->th, NULL, writer_thread_main, t) == 0;
}

static int
writer_thread_done(struct writer_thread *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

/* Wait until the thread has written at least n lines, up to 20 s. */
static bool
wait_done_at_least(struct writer_thread *t, int n)
{
	double until = harness_now() + 20;

	while (writer_thread_done(t) < n && harness_now() < until)
		harness_nap_ms(1);
	return writer_thread_done(t) >= n;
}

/* The length of one numbered line, as the writer's own thread makes it. */
static size_t
line_len(void)
{
	size_t len;
	int chunks;

	got_reset();
	pogo_log_set_writer(got_writer, got_wake, &got);
	log_numbered(0);
	pogo_log_set_writer(NULL, NULL, NULL);
	chunks = got.chunks;
	len = got.len;
	got_reset();
	ASSERT_EQ(chunks, 1);
	return len;
}

/*
 * s begins with lines first..last (inclusive), whole (len bytes each) and
 * in order; returns what follows them.
 */
static const char *
assert_numbered(const char *s, size_t len, int first, int last)
{
	char want[32];
	const char *p = s, *nl;
	size_t wlen;
	int i;

	for (i = first; i <= last; i++) {
		wlen =
		    (size_t)snprintf(want, sizeof(want), " I other %06d ", i);
		nl = strchr(p, '\n');
		ASSERT(nl != NULL && (size_t)(nl + 1 - p) == len);
		ASSERT(memmem(p, len, want, wlen) != NULL);
		ASSERT(strspn(nl - (PAD - 1), "x") == PAD - 1);
		p = nl + 1;
	}
	return p;
}

/* Each test's thread: static, so a failed test leaves no stack to it. */
static struct writer_thread wt;

TEST(other_threads_wait_for_room_past_one_mib)
{
	enum { N = 3000 };
	size_t len = line_len();
	int k = (int)(QUEUE_MAX / len), seen_k, seen;
	unsigned seen_wakes;
	bool reached;
	double until;

	ASSERT(k > 0 && k < N / 2);
	pogo_log_set_writer(got_writer, got_wake, &got);
	ASSERT(writer_thread_start(&wt, N));
	reached = wait_done_at_least(&wt, k);
	/*
	 * Given time, the thread writes no line past the bound: its next
	 * line waits for room (without the bound, all N are in at once).
	 */
	until = harness_now() + 0.3;
	while (writer_thread_done(&wt) < N && harness_now() < until)
		harness_nap_ms(1);
	seen_k = writer_thread_done(&wt);
	seen_wakes = __atomic_load_n(&wakes, __ATOMIC_RELAXED);
	/* Each drain makes room: the thread goes on to its last line. */
	until = harness_now() + 20;
	while (writer_thread_done(&wt) < N && harness_now() < until) {
		pogo_log_drain();
		harness_nap_ms(1);
	}
	seen = writer_thread_done(&wt);
	if (seen < N) /* stuck: never leave it waiting behind the test */
		pogo_log_set_writer(NULL, NULL, NULL);
	ASSERT_OK(pthread_join(wt.th, NULL));
	pogo_log_drain();
	pogo_log_set_writer(NULL, NULL, NULL);
	ASSERT(reached);
	ASSERT_EQ(seen_k, k);
	ASSERT(seen_wakes >= (unsigned)k);
	ASSERT_EQ(seen, N);
	ASSERT_EQ(got.len, (size_t)N * len);
	ASSERT(got.max_chunk <= QUEUE_MAX);
	ASSERT(got.chunks >= N / k);
	ASSERT_EQ(*assert_numbered(got.p, len, 0, N - 1), '\0');
	got_reset();
}

TEST(a_line_that_finds_no_room_for_10_s_is_dropped_and_told)
{
	static const char told[] = " W 1 log line of other threads dropped: "
	                           "the loop took none for 10 s\n";
	size_t len = line_len(), before;
	int k = (int)(QUEUE_MAX / len), chunks;
	const char *tail;
	double t0, took;

	pogo_log_set_writer(got_writer, got_wake, &got);
	t0 = harness_now();
	ASSERT(writer_thread_start(&wt, k + 1));
	/* Nobody drains: line k waits 10 s for room, then is dropped. */
	ASSERT_OK(pthread_join(wt.th, NULL));
	took = harness_now() - t0;
	before = got.len;
	pogo_log_drain();
	pogo_log_set_writer(NULL, NULL, NULL);
	chunks = got.chunks;
	ASSERT(took >= 9.9);
	ASSERT_EQ(before, (size_t)0);
	ASSERT_EQ(chunks, 2);
	/* The k lines kept, then the drop told, in one line. */
	tail = assert_numbered(got.p, len, 0, k - 1);
	ASSERT(strchr(tail, '\n') == tail + strlen(tail) - 1);
	ASSERT(strlen(tail) > strlen(told));
	ASSERT_STR_EQ(tail + strlen(tail) - strlen(told), told);
	got_reset();
}

/* Read the whole file at path, then remove it and its directory. */
static char *
slurp_and_remove(const char *dir, const char *path)
{
	char *s = NULL;
	size_t len = 0;
	int r;

	r = pogo_str_read_regular_file(path, 1 << 20, &s, &len);
	(void)unlink(path);
	(void)rmdir(dir);
	ASSERT_OK(r);
	return s;
}

TEST(unsetting_the_writer_writes_the_queue_before_later_lines)
{
	char dir[] = "/tmp/pogo-test-log-XXXXXX", path[64];
	size_t len = line_len(), queued;
	const char *rest;
	char *s;
	int r;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	if ((r = pogo_log_open(path)) != 0)
		(void)rmdir(dir);
	ASSERT_OK(r);
	pogo_log_set_writer(got_writer, got_wake, &got);
	if (writer_thread_start(&wt, 5))
		(void)pthread_join(wt.th, NULL);
	queued = got.len;
	pogo_log_set_writer(NULL, NULL, NULL);
	log_info("after the writer");
	pogo_log_close();
	s = slurp_and_remove(dir, path);
	ASSERT_EQ(queued, (size_t)0);
	ASSERT_EQ(got.len, (size_t)0);
	rest = assert_numbered(s, len, 0, 4);
	ASSERT(strchr(rest, '\n') == rest + strlen(rest) - 1);
	ASSERT(strstr(rest, " I after the writer\n") != NULL);
	free(s);
	got_reset();
}

TEST(fatal_writes_the_queue_before_its_own_line)
{
	char dir[] = "/tmp/pogo-test-log-XXXXXX", path[64];
	size_t len = line_len();
	const char *rest;
	char *s;
	int status = 0;
	pid_t pid;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	pid = fork();
	if (pid == 0) {
		/* No ASSERT here: the harness is the parent's. */
		if (pogo_log_open(path) != 0)
			_exit(3);
		pogo_log_set_writer(got_writer, got_wake, &got);
		if (!writer_thread_start(&wt, 5) ||
		    pthread_join(wt.th, NULL) != 0 || got.len != 0)
			_exit(4);
		fatalx("the end");
	}
	if (pid > 0)
		(void)waitpid(pid, &status, 0);
	s = slurp_and_remove(dir, path);
	ASSERT(pid > 0);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 1);
	rest = assert_numbered(s, len, 0, 4);
	ASSERT(strchr(rest, '\n') == rest + strlen(rest) - 1);
	ASSERT(strstr(rest, " E fatal: the end\n") != NULL);
	free(s);
}

/* A follower unsets its own writer only, never one set after it. */
TEST(unsetting_another_writer_keeps_the_writer)
{
	char dir[] = "/tmp/pogo-test-log-XXXXXX", path[64];
	size_t kept, after;
	int other, r;
	char *s;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	if ((r = pogo_log_open(path)) != 0)
		(void)rmdir(dir);
	ASSERT_OK(r);
	got_reset();
	pogo_log_set_writer(got_writer, got_wake, &got);
	pogo_log_unset_writer(&other);
	log_info("to the writer still");
	kept = got.len;
	pogo_log_unset_writer(&got);
	log_info("to the file");
	after = got.len;
	pogo_log_set_writer(NULL, NULL, NULL);
	pogo_log_close();
	s = slurp_and_remove(dir, path);
	ASSERT(kept > 0 && after == kept);
	ASSERT(strstr(got.p, " I to the writer still\n") != NULL);
	ASSERT(strstr(s, " I to the file\n") != NULL);
	ASSERT(strstr(s, "to the writer still") == NULL);
	free(s);
	got_reset();
}
