/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/heartbeat.c on a manual clock: N-HEARTBEAT (a ping
 * after 30 s without traffic, a peer silent for 90 s is disconnected),
 * and traffic putting both off.
 */
#include "pogo/compat.h"

#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/clock.h"
#include "pogo/heartbeat.h"

struct hbt {
	struct pogo_clock *c;
	uint64_t pings[8];
	int npings;
	uint64_t dead_at;
	int ndead;
	struct pogo_heartbeat *hb;
};

static void
hb_ping(struct pogo_heartbeat *hb, void *arg)
{
	struct hbt *h = arg;

	h->pings[h->npings++] = pogo_clock_now(h->c);
}

static void
hb_dead(struct pogo_heartbeat *hb, void *arg)
{
	struct hbt *h = arg;

	h->dead_at = pogo_clock_now(h->c);
	h->ndead++;
	/* The owner may free it from here. */
	pogo_heartbeat_free(hb);
	h->hb = NULL;
}

static const struct pogo_heartbeat_cbs hb_cbs = { hb_ping, hb_dead };

TEST(n_heartbeat_ping_at_30s_dead_at_90s)
{
	struct hbt h = { 0 };

	h.c = pogo_clock_manual_new(5000);
	h.hb = pogo_heartbeat_new(h.c, POGO_HEARTBEAT_PING_MS,
	    POGO_HEARTBEAT_SILENCE_MS, &hb_cbs, &h);
	pogo_clock_manual_advance(h.c, 29999);
	ASSERT_EQ(h.npings, 0);
	pogo_clock_manual_advance(h.c, 1);
	ASSERT_EQ(h.npings, 1);
	ASSERT_EQ(h.pings[0], 5000 + 30000);
	pogo_clock_manual_advance(h.c, 59999);
	ASSERT_EQ(h.npings, 2);
	ASSERT_EQ(h.pings[1], 5000 + 60000);
	ASSERT_EQ(h.ndead, 0);
	pogo_clock_manual_advance(h.c, 1);
	ASSERT_EQ(h.ndead, 1);
	ASSERT_EQ(h.dead_at, 5000 + 90000);
	ASSERT_EQ(h.npings, 2);
	ASSERT_NULL(h.hb);
	pogo_clock_free(h.c);
}

TEST(traffic_puts_off_ping_and_death)
{
	struct hbt h = { 0 };
	int i;

	h.c = pogo_clock_manual_new(0);
	h.hb = pogo_heartbeat_new(h.c, 30000, 90000, &hb_cbs, &h);
	/* Heard every 20 s for 10 minutes: never a ping. */
	for (i = 0; i < 30; i++) {
		pogo_clock_manual_advance(h.c, 20000);
		pogo_heartbeat_heard(h.hb);
	}
	ASSERT_EQ(h.npings, 0);
	ASSERT_EQ(h.ndead, 0);
	/* Heard at 600 s; silent since: ping at 630 s. */
	pogo_clock_manual_advance(h.c, 30000);
	ASSERT_EQ(h.npings, 1);
	ASSERT_EQ(h.pings[0], 630000);
	/* The pong comes at 631 s: the next ping 30 s later. */
	pogo_clock_manual_advance(h.c, 1000);
	pogo_heartbeat_heard(h.hb);
	pogo_clock_manual_advance(h.c, 30000);
	ASSERT_EQ(h.npings, 2);
	ASSERT_EQ(h.pings[1], 661000);
	ASSERT_EQ(h.ndead, 0);
	pogo_clock_manual_advance(h.c, 60000);
	ASSERT_EQ(h.ndead, 1);
	ASSERT_EQ(h.dead_at, 721000);
	pogo_clock_free(h.c);
}

/*
 * ping_ms or silence_ms 0 is a bug of the caller, caught at once (it
 * made the manual clock loop for ever).  In a child, bounded by alarm().
 */
static int
hb_zero_child(uint64_t ping_ms, uint64_t silence_ms)
{
	struct hbt h = { 0 };
	pid_t pid;
	int st;

	ASSERT((pid = fork()) >= 0);
	if (pid == 0) {
		alarm(5);
		h.c = pogo_clock_manual_new(0);
		h.hb =
		    pogo_heartbeat_new(h.c, ping_ms, silence_ms, &hb_cbs, &h);
		pogo_clock_manual_advance(h.c, 1000);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFSIGNALED(st));
	return WTERMSIG(st);
}

TEST(zero_intervals_are_a_bug_not_a_hang)
{
	ASSERT_EQ(hb_zero_child(0, 90000), SIGABRT);
	ASSERT_EQ(hb_zero_child(30000, 0), SIGABRT);
}
