/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Heartbeats (heartbeat.h).  One timer, restarted lazily: hearing from
 * the peer only records the time, and the timer, when it fires early,
 * starts again for the time still to wait.
 */
#include "pogo/compat.h"

#include "pogo/heartbeat.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

struct pogo_heartbeat {
	struct pogo_clock *clock;
	struct pogo_clock_timer *timer;
	uint64_t ping_ms, silence_ms;
	const struct pogo_heartbeat_cbs *cbs;
	void *arg;
	uint64_t heard; /* when the peer was last heard */
	unsigned pings; /* pings asked for since then */
};

/* When the next ping or the end of the silence falls due. */
static uint64_t
heartbeat_due(const struct pogo_heartbeat *hb)
{
	uint64_t ping = hb->heard + hb->ping_ms * (hb->pings + 1);
	uint64_t dead = hb->heard + hb->silence_ms;

	return ping < dead ? ping : dead;
}

static void
heartbeat_arm(struct pogo_heartbeat *hb)
{
	uint64_t now = pogo_clock_now(hb->clock), due = heartbeat_due(hb);

	pogo_clock_timer_start(hb->timer, due > now ? due - now : 0);
}

static void
heartbeat_timer_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_heartbeat *hb = arg;
	uint64_t now = pogo_clock_now(hb->clock);

	if (now >= hb->heard + hb->silence_ms) {
		hb->cbs->dead(hb, hb->arg);
		return;
	}
	if (now >= heartbeat_due(hb)) {
		hb->pings++;
		heartbeat_arm(hb);
		hb->cbs->ping(hb, hb->arg);
		return;
	}
	heartbeat_arm(hb);
}

struct pogo_heartbeat *
pogo_heartbeat_new(struct pogo_clock *clock, uint64_t ping_ms,
    uint64_t silence_ms, const struct pogo_heartbeat_cbs *cbs, void *arg)
{
	struct pogo_heartbeat *hb;

	/* 0 would make the timer fire at once for ever. */
	POGO_ASSERT(ping_ms > 0 && silence_ms > 0);
	hb = xcalloc(1, sizeof(*hb));
	hb->clock = clock;
	hb->timer = pogo_clock_timer_new(clock, heartbeat_timer_cb, hb);
	hb->ping_ms = ping_ms;
	hb->silence_ms = silence_ms;
	hb->cbs = cbs;
	hb->arg = arg;
	hb->heard = pogo_clock_now(clock);
	heartbeat_arm(hb);
	return hb;
}

void
pogo_heartbeat_free(struct pogo_heartbeat *hb)
{
	if (hb == NULL)
		return;
	pogo_clock_timer_free(hb->timer);
	free(hb);
}

void
pogo_heartbeat_heard(struct pogo_heartbeat *hb)
{
	hb->heard = pogo_clock_now(hb->clock);
	hb->pings = 0;
}
