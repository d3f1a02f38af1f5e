/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Heartbeats of one connection (SPEC 8.3): after ping_ms without hearing
 * from the peer, ask it to send a ping (and again every ping_ms while it
 * stays silent); after silence_ms without hearing from it, declare the
 * connection dead.  Both sides of the protocol run one per connection
 * with POGO_HEARTBEAT_PING_MS and POGO_HEARTBEAT_SILENCE_MS.
 *
 * "Traffic" is what is received: a side that only sends (a worker
 * streaming output that the dispatcher does not answer) still pings, so
 * a live peer always answers within one round trip and the silence limit
 * measures the peer alone.
 *
 * Pure, on the injectable clock (clock.h).  The owner calls
 * pogo_heartbeat_heard() for every line received, valid or not; that
 * costs no timer operation.  cbs->ping and cbs->dead are called from the
 * clock's timer only.  cbs->dead is called once; the heartbeat then
 * stops, and the owner closes the connection and frees the heartbeat
 * (also from inside the callback, if it wants).
 */
#ifndef POGO_HEARTBEAT_H
#define POGO_HEARTBEAT_H

#include "pogo/clock.h"

#define POGO_HEARTBEAT_PING_MS 30000
#define POGO_HEARTBEAT_SILENCE_MS 90000

struct pogo_heartbeat;

struct pogo_heartbeat_cbs {
	void (*ping)(struct pogo_heartbeat *hb, void *arg);
	void (*dead)(struct pogo_heartbeat *hb, void *arg);
};

/*
 * Start watching a connection that was just heard from (now).  ping_ms
 * and silence_ms must be > 0 (0 is a bug: POGO_BUG).
 */
struct pogo_heartbeat *pogo_heartbeat_new(struct pogo_clock *clock,
    uint64_t ping_ms, uint64_t silence_ms, const struct pogo_heartbeat_cbs *cbs,
    void *arg);
void pogo_heartbeat_free(struct pogo_heartbeat *hb);

/* A line came from the peer. */
void pogo_heartbeat_heard(struct pogo_heartbeat *hb);

#endif
