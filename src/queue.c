/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The queue processor (queue.h, SPEC 8.4).  Items sit on a singly linked
 * FIFO; only the head is ever sent.  Invariant: the timer runs only while
 * the head is outstanding and timeout_ms >= 0.
 */
#include "pogo/compat.h"

#include "pogo/log.h"
#include "pogo/queue.h"
#include "pogo/xmalloc.h"

struct queue_item {
	void *data;
	struct queue_item *next;
};

struct pogo_queue {
	struct pogo_clock_timer *timer;
	int64_t timeout_ms;
	int retries;
	const struct pogo_queue_cbs *cbs;
	void *arg;
	struct queue_item *head, *tail;
	size_t len;
	bool paused;
	bool outstanding;  /* the head has been sent, no reply yet */
	unsigned attempts; /* sends of the head */
};

static void queue_timer_cb(struct pogo_clock_timer *t, void *arg);

struct pogo_queue *
pogo_queue_new(struct pogo_clock *clock, int64_t timeout_ms, int retries,
    const struct pogo_queue_cbs *cbs, void *arg)
{
	struct pogo_queue *q = xcalloc(1, sizeof(*q));

	q->timer = pogo_clock_timer_new(clock, queue_timer_cb, q);
	q->timeout_ms = timeout_ms;
	q->retries = retries;
	q->cbs = cbs;
	q->arg = arg;
	q->paused = true;
	return q;
}

void
pogo_queue_free(struct pogo_queue *q)
{
	void *data;

	if (q == NULL)
		return;
	q->outstanding = false;
	while ((data = pogo_queue_shift(q)) != NULL) {
		if (q->cbs->release != NULL)
			q->cbs->release(data);
	}
	pogo_clock_timer_free(q->timer);
	free(q);
}

/* Offer the head item (again). */
static void
queue_send(struct pogo_queue *q)
{
	q->outstanding = true;
	q->attempts++;
	if (q->timeout_ms >= 0)
		pogo_clock_timer_start(q->timer, (uint64_t)q->timeout_ms);
	q->cbs->send(q, q->head->data, q->attempts, q->arg);
}

/* Send the head if the line is free; or report that the queue is empty. */
static void
queue_next(struct pogo_queue *q, bool emptied)
{
	if (q->head == NULL) {
		if (emptied && q->cbs->idle != NULL)
			q->cbs->idle(q, q->arg);
		return;
	}
	if (!q->paused && !q->outstanding)
		queue_send(q);
}

void
pogo_queue_push(struct pogo_queue *q, void *item)
{
	struct queue_item *qi = xcalloc(1, sizeof(*qi));

	qi->data = item;
	if (q->tail != NULL)
		q->tail->next = qi;
	else
		q->head = qi;
	q->tail = qi;
	q->len++;
	queue_next(q, false);
}

void *
pogo_queue_shift(struct pogo_queue *q)
{
	struct queue_item *qi = q->head;
	void *data;

	if (qi == NULL)
		return NULL;
	q->head = qi->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->len--;
	q->outstanding = false;
	q->attempts = 0;
	pogo_clock_timer_stop(q->timer);
	data = qi->data;
	free(qi);
	return data;
}

void *
pogo_queue_take(struct pogo_queue *q,
    bool (*match)(const void *item, const void *key), const void *key)
{
	struct queue_item *prev = NULL, *qi = q->head;
	void *data;

	/* The outstanding head has left: it stays until its reply. */
	if (q->outstanding && qi != NULL) {
		prev = qi;
		qi = qi->next;
	}
	for (; qi != NULL; prev = qi, qi = qi->next) {
		if (!match(qi->data, key))
			continue;
		if (prev != NULL)
			prev->next = qi->next;
		else
			q->head = qi->next;
		if (q->tail == qi)
			q->tail = prev;
		q->len--;
		data = qi->data;
		free(qi);
		return data;
	}
	return NULL;
}

void *
pogo_queue_ack(struct pogo_queue *q)
{
	return pogo_queue_ack_match(q, NULL, NULL);
}

void *
pogo_queue_ack_match(struct pogo_queue *q,
    bool (*match)(const void *item, const void *key), const void *key)
{
	void *data;

	if (!q->outstanding || (match != NULL && !match(q->head->data, key))) {
		log_warn("Received out of sequence ACK");
		return NULL;
	}
	data = pogo_queue_shift(q);
	queue_next(q, true);
	return data;
}

static void
queue_timer_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_queue *q = arg;
	void *data;

	if (!q->outstanding)
		return;
	if (q->retries < 0 || q->attempts <= (unsigned)q->retries) {
		queue_send(q);
		return;
	}
	data = pogo_queue_shift(q);
	q->cbs->drop(q, data, q->arg);
	queue_next(q, true);
}

void
pogo_queue_pause(struct pogo_queue *q)
{
	q->paused = true;
	q->outstanding = false;
	q->attempts = 0;
	pogo_clock_timer_stop(q->timer);
}

void
pogo_queue_resume(struct pogo_queue *q)
{
	q->paused = false;
	queue_next(q, false);
}

size_t
pogo_queue_len(const struct pogo_queue *q)
{
	return q->len;
}

void *
pogo_queue_outstanding(const struct pogo_queue *q)
{
	return q->outstanding ? q->head->data : NULL;
}
