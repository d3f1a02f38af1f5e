/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The queue processor of SPEC 8.4: reliable, ordered delivery of requests
 * over one connection in one direction, stop-and-wait.  The dispatcher
 * sends its channel-2 commands through one, the worker its task_started
 * and task_done reports (one queue per dispatcher, kept across
 * reconnections).
 *
 * Pure: no I/O.  The queue holds opaque items (void *, owned by the queue
 * while queued) and asks its owner to send the head item through
 * cbs->send; the owner encodes and writes it.  When the peer's reply
 * comes, the owner calls pogo_queue_ack() (or pogo_queue_ack_match() when
 * the reply names its item), which hands the item back and sends the
 * next one.  Without a reply within timeout_ms the head item is
 * sent again, up to `retries` more times (retries < 0: for ever, 0: never
 * resend); then it is dropped (cbs->drop, which gets the item) and the
 * next one is sent.  timeout_ms < 0 waits for ever.  When the last item
 * leaves the queue (acknowledged or dropped), cbs->idle is called.
 *
 * A queue starts paused (no connection): items pile up until
 * pogo_queue_resume().  pogo_queue_pause() stops the timer when the
 * connection ends; the head item stays queued and is sent again, as a
 * first attempt, on resume.  The dispatcher takes its unacknowledged
 * commands back with pogo_queue_shift() when a worker is lost (SPEC 7.3);
 * the worker keeps its reports for the next connection.
 *
 * Callbacks are called from inside pogo_queue_push(), _ack() and _resume()
 * (send, drop, idle) and from the clock's timer (send, drop, idle).  They
 * may push, pause and shift, but must not free the queue: a connection
 * that must close after a drop pauses the queue in cbs->drop and frees it
 * later, from its close callback.
 */
#ifndef POGO_QUEUE_H
#define POGO_QUEUE_H

#include "pogo/clock.h"

struct pogo_queue;

struct pogo_queue_cbs {
	/* Send item (borrowed); attempt is 1 for the first offer. */
	void (*send)(
	    struct pogo_queue *q, void *item, unsigned attempt, void *arg);
	/* item was never acknowledged: it is the callee's now. */
	void (*drop)(struct pogo_queue *q, void *item, void *arg);
	/* The queue became empty (may be NULL). */
	void (*idle)(struct pogo_queue *q, void *arg);
	/* Free an item still queued at pogo_queue_free() (may be NULL). */
	void (*release)(void *item);
};

/* A new, paused, empty queue; cbs and clock are borrowed. */
struct pogo_queue *pogo_queue_new(struct pogo_clock *clock, int64_t timeout_ms,
    int retries, const struct pogo_queue_cbs *cbs, void *arg);
/* Free q and release the items still queued (NULL-safe). */
void pogo_queue_free(struct pogo_queue *q);

/* Append item (owned by the queue from now on); sends it if it is first. */
void pogo_queue_push(struct pogo_queue *q, void *item);

/*
 * The peer replied: returns the outstanding item (now the caller's) and
 * sends the next one.  A reply when nothing is outstanding is logged
 * ("Received out of sequence ACK") and ignored: NULL.
 */
void *pogo_queue_ack(struct pogo_queue *q);
/*
 * The same, for replies that name what they answer (channel 2's task_id):
 * the reply counts only if match(outstanding item, key) is true.  Else it
 * answers an earlier send (a late reply to the first send of an item that
 * was resent and acknowledged since) and is logged and ignored the same
 * way: NULL.  Channel 1's replies name nothing: pogo_queue_ack() matches
 * them by position, as SPEC 8.4 says.
 */
void *pogo_queue_ack_match(struct pogo_queue *q,
    bool (*match)(const void *item, const void *key), const void *key);
/*
 * Take out of q the first item not sent yet (the outstanding head
 * excepted) for which match(item, key) is true: returns it (now the
 * caller's), or NULL.  The queue's state is otherwise unchanged (no send,
 * no idle).  Linear in the queue's length.
 */
void *pogo_queue_take(struct pogo_queue *q,
    bool (*match)(const void *item, const void *key), const void *key);

/* The connection ended: stop resending; nothing is lost. */
void pogo_queue_pause(struct pogo_queue *q);
/* A connection is up: send the head item, if any, as a first attempt. */
void pogo_queue_resume(struct pogo_queue *q);

/* Remove and return the head item (the caller's), or NULL if empty. */
void *pogo_queue_shift(struct pogo_queue *q);

/* Number of items queued, the outstanding one included. */
size_t pogo_queue_len(const struct pogo_queue *q);
/* The item sent and not yet acknowledged, or NULL. */
void *pogo_queue_outstanding(const struct pogo_queue *q);

#endif
