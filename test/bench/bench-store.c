/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The store's cost for one large job: a job of N hosts (20,000 by
 * default) is inserted, then every host goes ready, running and finished
 * as a dispatcher would write it: per host 3 host-state changes, 3 log
 * entries and 3 output records (two lines and EXIT), B hosts per loop
 * turn (256 by default), with one commit per turn.  Prints the time the
 * loop thread spends per turn (writes + commit), the longest commit, the
 * job insert, and the database size per host after the store is closed.
 *
 *	bench-store [hosts [hosts-per-turn [dir]]]
 */
#include "pogo/compat.h"

#include <sys/stat.h>

#include <unistd.h>

#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define CHUNK 4096

static int committed;

static void
bench_commit_cb(struct pogo_store *st, int status, void *arg)
{
	if (status != 0)
		fatalx("commit: %d", status);
	committed++;
}

static void
bench_closed_cb(void *arg)
{
}

/* Run the loop until the changes so far are committed. */
static void
bench_commit(uv_loop_t *loop, struct pogo_store *st)
{
	int want = committed + 1;

	pogo_store_after_commit(st, bench_commit_cb, NULL);
	while (committed < want)
		uv_run(loop, UV_RUN_ONCE);
}

static double
bench_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int
main(int argc, char **argv)
{
	static const char *const msg[3] = { "connecting to host...", "started",
		"ok" };
	struct pogo_store_opts o = { 0 };
	struct pogo_store_job j = { .job = 0,
		.state = 1,
		.user = "bench",
		.command = "uptime",
		.task_name = "ssh",
		.timeout = 600,
		.job_timeout = 1800,
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1 };
	const char *range[] = { "host[1-20000].example.org" };
	struct pogo_store_host h = { .exitstatus = -1 };
	struct pogo_store_entry e = { .exitstatus = -1 };
	struct pogo_store_output out = { 0 };
	struct pogo_store_stats s;
	struct pogo_store *st;
	struct stat sb;
	uv_loop_t loop;
	char dirt[64] = "/tmp/pogo-bench-store.XXXXXX", *dir, *cause, **hosts;
	char task[64], line[128], path[128];
	uint32_t n = 20000, per = 256, i, k, lo, hi, logi = 1, turns = 0;
	uint64_t t0, t, turn_max = 0, turn_total = 0, insert_ns = 0, task_no;
	uint64_t insert_max = 0, one_ns;
	uint32_t insert_turns = 0;
	long long v;

	if (argc > 1) {
		if (pogo_strtonum(argv[1], 1, 1000000, &v) != 0)
			fatalx("hosts: %s", argv[1]);
		n = (uint32_t)v;
	}
	if (argc > 2) {
		if (pogo_strtonum(argv[2], 1, 100000, &v) != 0)
			fatalx("hosts per turn: %s", argv[2]);
		per = (uint32_t)v;
	}
	if (argc > 3)
		dir = argv[3];
	else if ((dir = mkdtemp(dirt)) == NULL)
		fatal("mkdtemp");
	if (pogo_proc_loop_init(&loop) != 0)
		fatalx("loop");
	o.state_dir = dir;
	if (pogo_store_open(&loop, &o, &st, &cause) != 0)
		fatalx("%s", cause);
	hosts = xreallocarray(NULL, n, sizeof(*hosts));
	for (i = 0; i < n; i++)
		xasprintf(&hosts[i], "host%u.example.org", i + 1);
	j.range = range;
	j.nrange = 1;
	j.host_count = n;

	/* The job in chunks of CHUNK hosts, one chunk per turn. */
	for (lo = 0; lo < n; lo += CHUNK) {
		hi = lo + CHUNK < n ? lo + CHUNK : n;
		t0 = uv_hrtime();
		if (lo == 0) {
			if (pogo_store_job_insert(
			        st, &j, (const char *const *)hosts, hi) != 0)
				fatalx("insert");
			e.index = 0;
			e.host = -1;
			e.message = "job created; fetching host info";
			if (pogo_store_log_append(st, 0, &e) != 0)
				fatalx("log");
		} else if (pogo_store_job_add_hosts(st, 0, lo,
		               (const char *const *)hosts + lo, hi - lo) != 0)
			fatalx("add hosts");
		bench_commit(&loop, st);
		t = uv_hrtime() - t0;
		insert_ns += t;
		if (t > insert_max)
			insert_max = t;
		insert_turns++;
	}

	/* Three phases per batch of hosts, one commit per phase. */
	for (lo = 0; lo < n; lo += per) {
		hi = lo + per < n ? lo + per : n;
		for (k = 0; k < 3; k++) {
			t0 = uv_hrtime();
			for (i = lo; i < hi; i++) {
				h.idx = i;
				h.state = (int)k + 1;
				h.message = msg[k];
				h.runs = 1;
				h.start_time = k >= 1 ? 2 : 0;
				h.finish_time = k == 2 ? 3 : 0;
				h.exitstatus = k == 2 ? 0 : -1;
				if (k == 0) {
					if (pogo_store_next_task(
					        st, &task_no) != 0)
						fatalx("task");
					snprintf(task, sizeof(task),
					    "127.0.0.1:7655-%llu",
					    (unsigned long long)task_no);
				}
				h.task_id = task;
				h.worker = "worker1.example.org";
				h.worker_instance = "w-7f3a";
				if (pogo_store_host_set(st, 0, &h) != 0)
					fatalx("host");
				e.index = logi++;
				e.time = 2 + k;
				e.host = i;
				e.state = h.state;
				e.message = msg[k];
				e.exitstatus = h.exitstatus;
				e.output = k >= 1;
				if (pogo_store_log_append(st, 0, &e) != 0)
					fatalx("log");
				out.host = i;
				out.seq = k;
				out.ts = 2 + k;
				out.type = k == 2 ? POGO_STORE_OUT_EXIT
				                  : POGO_STORE_OUT_STDOUT;
				if (k == 2)
					snprintf(line, sizeof(line), "0");
				else
					snprintf(line, sizeof(line),
					    " 10:1%u up 12 days, load average:"
					    " 0.%02u",
					    k, i % 100);
				out.data = line;
				out.len = strlen(line);
				if (pogo_store_output_append(st, 0, &out) != 0)
					fatalx("output");
			}
			bench_commit(&loop, st);
			t = uv_hrtime() - t0;
			turn_total += t;
			if (t > turn_max)
				turn_max = t;
			turns++;
		}
	}
	pogo_store_stats(st, &s);
	pogo_store_close(st, bench_closed_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (pogo_proc_loop_close(&loop) != 0)
		fatalx("loop close");
	snprintf(path, sizeof(path), "%s/pogo.db", dir);
	if (stat(path, &sb) != 0)
		fatal("%s", path);

	/* The same job again, inserted in one call, for comparison. */
	if (pogo_proc_loop_init(&loop) != 0)
		fatalx("loop");
	if (pogo_store_open(&loop, &o, &st, &cause) != 0)
		fatalx("%s", cause);
	j.job = 1;
	t0 = uv_hrtime();
	if (pogo_store_job_insert(st, &j, (const char *const *)hosts, n) != 0)
		fatalx("insert");
	bench_commit(&loop, st);
	one_ns = uv_hrtime() - t0;
	pogo_store_close(st, bench_closed_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (pogo_proc_loop_close(&loop) != 0)
		fatalx("loop close");

	printf("hosts %u, %u hosts per turn, SQLite %s\n", n, per,
	    pogo_store_version());
	printf("job insert in %u turns of %u hosts: total %.1f ms, max %.1f"
	       " ms per turn; in one call: %.1f ms\n",
	    insert_turns, CHUNK, bench_ms(insert_ns), bench_ms(insert_max),
	    bench_ms(one_ns));
	printf("turns %u (%u changes each): mean %.2f ms, max %.2f ms\n", turns,
	    per * 3, bench_ms(turn_total / turns), bench_ms(turn_max));
	printf("commits %llu: mean %.3f ms, max %.2f ms; checkpoints %llu\n",
	    (unsigned long long)s.commits,
	    bench_ms(s.commit_ns_total / (s.commits ? s.commits : 1)),
	    bench_ms(s.commit_ns_max), (unsigned long long)s.checkpoints);
	printf("pogo.db %lld bytes: %lld bytes per host\n",
	    (long long)sb.st_size, (long long)sb.st_size / n);
	for (i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
	if (argc <= 3) {
		unlink(path);
		snprintf(path, sizeof(path), "%s/pogo.db-wal", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/pogo.db-shm", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/dispatcher.lock", dir);
		unlink(path);
		rmdir(dir);
	}
	return 0;
}
