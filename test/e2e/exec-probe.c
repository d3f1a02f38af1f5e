/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * exec-probe: one task through an executor, with the task fields that
 * pogo one does not set (SPEC 8.3 task_data), for the e2e tests of the
 * executor contract.  Prints one line per event:
 *   started
 *   output STDOUT|STDERR <data>
 *   done <state> <exitstatus> <signal> <records> <started_at> <msg>
 * with started_at 0 or 1 (set or not).
 *
 * usage: exec-probe [-l USER] [-p PORT] [-i KEY] [-u SSH_USER]
 *            [-P SSH_PORT] [-c CONNECT_TIMEOUT] HOST COMMAND
 */
#include "pogo/compat.h"

#include <unistd.h>

#include "pogo/proc.h"
#include "pogo/ssh.h"

static void
probe_started(struct pogo_exec_task *t, void *arg)
{
	printf("started\n");
}

static void
probe_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	printf("output %s %.*s\n",
	    type == POGO_OUT_STDERR ? "STDERR" : "STDOUT", (int)n, d);
}

static void
probe_done(
    struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	static const char *states[] = { "finished", "failed", "unreachable" };

	printf("done %s %d %d %llu %d %s\n", states[r->state], r->exitstatus,
	    r->signal, (unsigned long long)r->records, r->started_at > 0,
	    r->msg);
}

static const struct pogo_exec_events probe_ev = { probe_started, probe_output,
	probe_done };

static void
probe_closed(void *arg)
{
}

int
main(int argc, char **argv)
{
	struct pogo_ssh_opts o = { 0 };
	struct pogo_exec_task t = { 0 };
	struct pogo_exec *e;
	uv_loop_t loop;
	char *cause, *keys[1];
	int c;

	o.host_key_check = POGO_SSH_HOSTKEY_OFF;
	o.ssh_config = "/dev/null";
	while ((c = getopt(argc, argv, "c:i:l:P:p:u:")) != -1) {
		switch (c) {
		case 'c':
			t.connect_timeout = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			keys[0] = optarg;
			o.identities.v = keys;
			o.identities.n = 1;
			break;
		case 'l':
			o.user = optarg;
			break;
		case 'P':
			t.ssh_port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o.port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			t.ssh_user = optarg;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pogo_ssh_init(&cause) != 0 || pogo_proc_loop_init(&loop) != 0)
		return 1;
	if ((e = pogo_exec_ssh_new(&loop, &o, &probe_ev, NULL, &cause)) ==
	    NULL) {
		fprintf(stderr, "exec-probe: %s\n", cause);
		return 1;
	}
	t.job_id = "p0000000001";
	t.task_id = "probe";
	t.task_name = "ssh";
	t.host = argv[optind];
	t.command = argv[optind + 1];
	if (e->ops->start(e, &t) != 0)
		return 1;
	uv_run(&loop, UV_RUN_DEFAULT);
	e->ops->close(e, probe_closed, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	return pogo_proc_loop_close(&loop) == 0 ? 0 : 1;
}
