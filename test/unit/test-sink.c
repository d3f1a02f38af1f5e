/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/sink.c on a real loop: a reader slower than the
 * writer never blocks the loop, the level callback says full and then not
 * full, every byte arrives in order, a regular file is written at once,
 * and the terminal escapes.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/proc.h"
#include "pogo/sink.h"

struct lv {
	int full;
	int drained;
	int closed;
};

static void
level_cb(struct pogo_sink *s, bool full, void *arg)
{
	struct lv *l = arg;

	if (full)
		l->full++;
	else
		l->drained++;
}

static void
closed_cb(void *arg)
{
	((struct lv *)arg)->closed++;
}

TEST(slow_reader_never_blocks_and_loses_nothing)
{
	uv_loop_t loop;
	struct pogo_sink *s;
	struct lv l = { 0 };
	char chunk[1000], buf[65536];
	size_t total = 0, want = 0, i;
	ssize_t n;
	uint64_t t0;
	int fds[2], k, flags;
	unsigned char next = 0;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	ASSERT_OK(pipe(fds));
	flags = fcntl(fds[1], F_GETFL);
	s = pogo_sink_new(&loop, fds[1], 100000, level_cb, &l);
	/* Nobody reads: 1 MB is queued at once, without blocking. */
	t0 = uv_hrtime();
	for (k = 0; k < 1000; k++) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)(unsigned char)(want + i);
		pogo_sink_write(s, chunk, sizeof(chunk));
		want += sizeof(chunk);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	ASSERT(uv_hrtime() - t0 < 5000000000ULL);
	ASSERT_EQ(l.full, 1);
	ASSERT_EQ(l.drained, 0);
	ASSERT(pogo_sink_queued(s) > 100000);
	/* The reader catches up: every byte, in order. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (k = 0; k < 100000 && total < want; k++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		n = read(fds[0], buf, sizeof(buf));
		for (i = 0; n > 0 && i < (size_t)n; i++)
			ASSERT_EQ((unsigned char)buf[i], next++);
		if (n > 0)
			total += (size_t)n;
	}
	ASSERT_EQ(total, want);
	ASSERT_EQ(l.drained, 1);
	ASSERT_EQ(pogo_sink_queued(s), 0);
	ASSERT_OK(pogo_sink_error(s));
	pogo_sink_close(s, closed_cb, &l);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(l.closed, 1);
	/* The descriptor is left open, in its own mode. */
	ASSERT_EQ(fcntl(fds[1], F_GETFL), flags);
	close(fds[0]);
	close(fds[1]);
	ASSERT_OK(pogo_proc_loop_close(&loop));
}

TEST(close_writes_what_is_queued)
{
	uv_loop_t loop;
	struct pogo_sink *s;
	struct lv l = { 0 };
	char buf[256];
	int fds[2];

	ASSERT_OK(pogo_proc_loop_init(&loop));
	ASSERT_OK(pipe(fds));
	s = pogo_sink_new(&loop, fds[1], 1000, NULL, NULL);
	pogo_sink_printf(s, "%s %d\n", "hello", 42);
	pogo_sink_close(s, closed_cb, &l);
	ASSERT_EQ(l.closed, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(l.closed, 1);
	ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 9);
	ASSERT(memcmp(buf, "hello 42\n", 9) == 0);
	close(fds[0]);
	close(fds[1]);
	ASSERT_OK(pogo_proc_loop_close(&loop));
}

/* A writer of every loop turn, until the close callback (log lines). */
struct late {
	struct pogo_sink *s;
	uv_check_t check;
	int n;
	struct lv l;
};

static void
late_check_cb(uv_check_t *h)
{
	struct late *lt = h->data;

	pogo_sink_printf(lt->s, "late %d\n", lt->n++);
}

static void
late_closed_cb(void *arg)
{
	struct late *lt = arg;

	lt->l.closed++;
	uv_close((uv_handle_t *)&lt->check, NULL);
}

TEST(writes_until_the_close_callback_come_after_the_queue)
{
	uv_loop_t loop;
	struct late lt = { 0 };
	char buf[65536], want[65536];
	size_t off = 0, wlen;
	ssize_t n;
	int fds[2], i;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	ASSERT_OK(pipe(fds));
	lt.s = pogo_sink_new(&loop, fds[1], 1000, NULL, NULL);
	uv_check_init(&loop, &lt.check);
	lt.check.data = &lt;
	uv_check_start(&lt.check, late_check_cb);
	pogo_sink_printf(lt.s, "first\n");
	pogo_sink_close(lt.s, late_closed_cb, &lt);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(lt.l.closed, 1);
	/*
	 * The check ran after the last queued write was done and before the
	 * close callback: those lines are not lost, and come in order.
	 */
	ASSERT(lt.n >= 1);
	wlen = (size_t)snprintf(want, sizeof(want), "first\n");
	for (i = 0; i < lt.n; i++)
		wlen += (size_t)snprintf(
		    want + wlen, sizeof(want) - wlen, "late %d\n", i);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	while ((n = read(fds[0], buf + off, sizeof(buf) - off)) > 0)
		off += (size_t)n;
	ASSERT_EQ(off, wlen);
	ASSERT(memcmp(buf, want, wlen) == 0);
	close(fds[0]);
	close(fds[1]);
	ASSERT_OK(pogo_proc_loop_close(&loop));
}

TEST(regular_file_and_escapes)
{
	uv_loop_t loop;
	struct pogo_sink *s;
	struct lv l = { 0 };
	char path[] = "/tmp/pogo-sink-XXXXXX", buf[256];
	int fd;
	ssize_t n;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	fd = mkstemp(path);
	ASSERT(fd >= 0);
	unlink(path);
	s = pogo_sink_new(&loop, fd, 1000, NULL, NULL);
	ASSERT(!pogo_sink_is_tty(s));
	pogo_sink_write_escaped(s,
	    "ok\r\033[2Kfake: Success\x7f\t\xc2\x9b"
	    "1m \xc3\xa9\0!",
	    31);
	/* Written at once: nothing queued. */
	ASSERT_EQ(pogo_sink_queued(s), 0);
	pogo_sink_close(s, closed_cb, &l);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(l.closed, 1);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	ASSERT(n > 0);
	buf[n] = '\0';
	ASSERT_STR_EQ(buf,
	    "ok\\r\\033[2Kfake: Success\\177\t\\302\\2331m \xc3\xa9\\000!");
	close(fd);
	ASSERT_OK(pogo_proc_loop_close(&loop));
}
