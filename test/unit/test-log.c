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

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
	log_info("other %06d %.*s", i, PAD,
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
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

static void
writer_thread_start(struct writer_thread *t, int lines)
{
	memset(t, 0, sizeof(*t));
	t->lines = lines;
	ASSERT_OK(pthread_create(&t->th, NULL, writer_thread_main, t));
}

static int
writer_thread_done(struct writer_thread *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait until the thread has written at least n lines, up to 20 s. */
static void
wait_done_at_least(struct writer_thread *t, int n)
{
	double until = now_s() + 20;

	while (writer_thread_done(t) < n && now_s() < until)
		nap_ms(1);
	ASSERT_GE(writer_thread_done(t), n);
}

/* The length of one numbered line, as the writer's own thread makes it. */
static size_t
line_len(void)
{
	size_t len;

	got_reset();
	pogo_log_set_writer(got_writer, got_wake, &got);
	log_numbered(0);
	pogo_log_set_writer(NULL, NULL, NULL);
	ASSERT_EQ(got.chunks, 1);
	len = got.len;
	got_reset();
	return len;
}

/* Lines first..last (inclusive) are in s, whole, in order, once each. */
static void
assert_numbered(const char *s, int first, int last)
{
	char want[32];
	const char *p = s;
	int i;

	for (i = first; i <= last; i++) {
		snprintf(want, sizeof(want), " I other %06d x", i);
		ASSERT((p = strstr(p, want)) != NULL);
		ASSERT(strstr(p + 1, want) == NULL);
		p += strlen(want);
		ASSERT(strspn(p, "x") == PAD - 1 && p[PAD - 1] == '\n');
	}
}

TEST(other_threads_wait_for_room_past_one_mib)
{
	enum { N = 3000 };
	struct writer_thread t;
	size_t len = line_len();
	int k = (int)(QUEUE_MAX / len);
	double until;

	ASSERT(k > 0 && k < N / 2);
	pogo_log_set_writer(got_writer, got_wake, &got);
	writer_thread_start(&t, N);
	wait_done_at_least(&t, k);
	/*
	 * Given time, the thread writes no line past the bound: its next
	 * line waits for room (without the bound, all N are in at once).
	 */
	until = now_s() + 0.3;
	while (writer_thread_done(&t) < N && now_s() < until)
		nap_ms(1);
	ASSERT_EQ(writer_thread_done(&t), k);
	ASSERT(__atomic_load_n(&wakes, __ATOMIC_RELAXED) >= (unsigned)k);
	/* Each drain makes room: the thread goes on to its last line. */
	until = now_s() + 20;
	while (writer_thread_done(&t) < N && now_s() < until) {
		pogo_log_drain();
		nap_ms(1);
	}
	ASSERT_OK(pthread_join(t.th, NULL));
	pogo_log_drain();
	pogo_log_set_writer(NULL, NULL, NULL);
	ASSERT_EQ(got.len, (size_t)N * len);
	ASSERT(got.max_chunk <= QUEUE_MAX);
	ASSERT(got.chunks >= N / k);
	assert_numbered(got.p, 0, N - 1);
	ASSERT(strstr(got.p, "dropped") == NULL);
	got_reset();
}

TEST(a_line_that_finds_no_room_for_10_s_is_dropped_and_told)
{
	struct writer_thread t;
	size_t len = line_len();
	int k = (int)(QUEUE_MAX / len);
	double t0;
	char want[32];
	const char *tail;
	static const char told[] = " W 1 log line of other threads dropped: "
	                           "the loop took none for 10 s\n";

	pogo_log_set_writer(got_writer, got_wake, &got);
	t0 = now_s();
	writer_thread_start(&t, k + 1);
	/* Nobody drains: line k waits 10 s for room, then is dropped. */
	ASSERT_OK(pthread_join(t.th, NULL));
	ASSERT(now_s() - t0 >= 9.9);
	ASSERT_EQ(got.len, (size_t)0);
	pogo_log_drain();
	pogo_log_set_writer(NULL, NULL, NULL);
	ASSERT_EQ(got.chunks, 2);
	assert_numbered(got.p, 0, k - 1);
	snprintf(want, sizeof(want), " I other %06d x", k);
	ASSERT(strstr(got.p, want) == NULL);
	/* The drop is told after the lines that were kept, in one line. */
	tail = got.p + (size_t)k * len;
	ASSERT(strchr(tail, '\n') == tail + strlen(tail) - 1);
	ASSERT(strlen(tail) > strlen(told));
	ASSERT_STR_EQ(tail + strlen(tail) - strlen(told), told);
	got_reset();
}

/* Read the whole file at path. */
static char *
slurp(const char *path)
{
	char *s = NULL;
	size_t len = 0;

	ASSERT_OK(pogo_str_read_regular_file(path, 1 << 20, &s, &len));
	return s;
}

TEST(unsetting_the_writer_writes_the_queue_before_later_lines)
{
	char dir[] = "/tmp/pogo-test-log-XXXXXX", path[64];
	struct writer_thread t;
	char *s, *after;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	ASSERT_OK(pogo_log_open(path));
	pogo_log_set_writer(got_writer, got_wake, &got);
	writer_thread_start(&t, 5);
	ASSERT_OK(pthread_join(t.th, NULL));
	ASSERT_EQ(got.len, (size_t)0);
	pogo_log_set_writer(NULL, NULL, NULL);
	log_info("after the writer");
	pogo_log_close();
	ASSERT_EQ(got.len, (size_t)0);
	s = slurp(path);
	assert_numbered(s, 0, 4);
	ASSERT((after = strstr(s, " I after the writer\n")) != NULL);
	ASSERT(after > strstr(s, " I other 000004 "));
	free(s);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(dir));
	got_reset();
}

TEST(fatal_writes_the_queue_before_its_own_line)
{
	char dir[] = "/tmp/pogo-test-log-XXXXXX", path[64];
	char *s, *last;
	int status;
	pid_t pid;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	ASSERT((pid = fork()) >= 0);
	if (pid == 0) {
		struct writer_thread t;

		if (pogo_log_open(path) != 0)
			_exit(3);
		pogo_log_set_writer(got_writer, got_wake, &got);
		writer_thread_start(&t, 5);
		if (pthread_join(t.th, NULL) != 0 || got.len != 0)
			_exit(4);
		fatalx("the end");
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 1);
	s = slurp(path);
	assert_numbered(s, 0, 4);
	ASSERT((last = strstr(s, " E fatal: the end\n")) != NULL);
	ASSERT(last > strstr(s, " I other 000004 "));
	ASSERT_EQ(last[strlen(" E fatal: the end\n")], '\0');
	free(s);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(dir));
}
