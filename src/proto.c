/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher-worker messages (proto.h, SPEC 8.3), written on json.h's
 * document interface.  Decoding checks each member's type and bounds and
 * names the member in the error; encoding writes the members in SPEC's
 * order.
 */
#include "pogo/compat.h"

#include <math.h>

#include "pogo/error.h"
#include "pogo/json.h"
#include "pogo/proto.h"
#include "pogo/xmalloc.h"

/* 2^53: integers a double holds exactly. */
#define PROTO_INT_MAX 9007199254740992.0

static const struct {
	enum pogo_msg_type type;
	int channel;
	const char *name; /* the msg (channel 0) or command */
} proto_types[] = {
	{ POGO_MSG_GREETING, 0, POGO_PROTO_GREETING },
	{ POGO_MSG_HELLO, 0, "hello" },
	{ POGO_MSG_PING, 0, "ping" },
	{ POGO_MSG_PONG, 0, "pong" },
	{ POGO_MSG_RUN, 2, "run" },
	{ POGO_MSG_TASKSTATUS, 2, "taskstatus" },
	{ POGO_MSG_TASKKILL, 2, "taskkill" },
	{ POGO_MSG_STATUS, 2, "status" },
	{ POGO_MSG_TASK_STARTED, 1, "task_started" },
	{ POGO_MSG_TASK_OUTPUT, 1, "task_output" },
	{ POGO_MSG_TASK_DONE, 1, "task_done" },
};

static const char *const proto_states[] = {
	[POGO_EXEC_FINISHED] = "finished",
	[POGO_EXEC_FAILED] = "failed",
	[POGO_EXEC_UNREACHABLE] = "unreachable",
};

const char *
pogo_proto_type_name(enum pogo_msg_type type)
{
	size_t i;

	if (type == POGO_MSG_GREETING)
		return "greeting";
	if (type == POGO_MSG_REPLY)
		return "reply";
	for (i = 0; i < POGO_NELEM(proto_types); i++) {
		if (proto_types[i].type == type)
			return proto_types[i].name;
	}
	return type == POGO_MSG_UNKNOWN ? "unknown" : "ignored";
}

const char *
pogo_proto_state_name(enum pogo_exec_state state)
{
	if ((size_t)state < POGO_NELEM(proto_states))
		return proto_states[state];
	return "failed";
}

void
pogo_proto_msg_init(struct pogo_msg *m, enum pogo_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->tasks = -1;
	m->rc = -1;
	m->started_at = -1;
	m->task.ssh_port = -1;
	m->task.connect_timeout = -1;
	m->task.timeout = -1;
}

void
pogo_proto_msg_clear(struct pogo_msg *m)
{
	struct pogo_proto_task *t;
	size_t i;

	if (m == NULL)
		return;
	t = &m->task;
	free(m->command);
	free(m->task_id);
	free(m->protocol);
	free(m->text);
	free(m->worker);
	free(m->instance);
	free(m->key_id);
	free(m->host);
	free(t->task_name);
	free(t->command);
	free(t->job_id);
	free(t->user);
	free(t->ssh_user);
	free(t->run_as);
	free(t->exe_name);
	free(t->exe_data);
	free(t->password);
	free(t->client_private_key);
	free(t->pvt_key_passphrase);
	for (i = 0; i < m->nrecords; i++)
		free(m->records[i].data);
	free(m->records);
	free(m->signal);
	free(m->message);
	pogo_proto_msg_init(m, POGO_MSG_IGNORED);
}

/* Encoding. */

static void
enc_str_opt(struct pogo_json *o, const char *key, const char *s)
{
	if (s != NULL)
		pogo_json_add_string(o, key, s);
}

static void
enc_int_opt(struct pogo_json *o, const char *key, long long v)
{
	if (v >= 0)
		pogo_json_add_number(o, key, (double)v);
}

static void
enc_task(struct pogo_json *o, const struct pogo_msg *m)
{
	const struct pogo_proto_task *t = &m->task;
	struct pogo_json *outer, *in;

	outer = pogo_json_add_object(o, "task_data");
	pogo_json_add_string(outer, "task_name", t->task_name);
	in = pogo_json_add_object(outer, "task_data");
	pogo_json_add_string(in, "command", t->command);
	enc_str_opt(in, "job_id", t->job_id);
	enc_str_opt(in, "user", t->user);
	enc_str_opt(in, "ssh_user", t->ssh_user);
	enc_int_opt(in, "ssh_port", t->ssh_port);
	enc_int_opt(in, "connect_timeout", t->connect_timeout);
	enc_str_opt(in, "run_as", t->run_as);
	enc_int_opt(in, "timeout", t->timeout);
	pogo_json_add_number(in, "retry", t->retry);
	pogo_json_add_bool(in, "prehook", t->prehook);
	pogo_json_add_bool(in, "posthook", t->posthook);
	pogo_json_add_bool(in, "lock", t->lock);
	enc_str_opt(in, "exe_name", t->exe_name);
	enc_str_opt(in, "exe_data", t->exe_data);
	enc_str_opt(in, "password", t->password);
	enc_str_opt(in, "client_private_key", t->client_private_key);
	enc_str_opt(in, "pvt_key_passphrase", t->pvt_key_passphrase);
}

static void
enc_records(struct pogo_json *o, const struct pogo_msg *m)
{
	struct pogo_json *a, *r;
	size_t i;

	pogo_json_add_number(o, "first", (double)m->first);
	a = pogo_json_add_array(o, "records");
	for (i = 0; i < m->nrecords; i++) {
		r = pogo_json_add_object(a, NULL);
		pogo_json_add_double(r, "ts", m->records[i].ts);
		pogo_json_add_string(r, "type",
		    m->records[i].type == POGO_OUT_STDERR ? "STDERR"
		                                          : "STDOUT");
		pogo_json_add_bytes(
		    r, "data", m->records[i].data, m->records[i].len);
		/* Absent: a line, as from a worker before issue 9. */
		if (!m->records[i].eol)
			pogo_json_add_bool(r, "eol", false);
	}
}

static void
enc_done(struct pogo_json *o, const struct pogo_msg *m)
{
	if (m->rc >= 0)
		pogo_json_add_number(o, "rc", m->rc);
	else
		pogo_json_add_null(o, "rc");
	pogo_json_add_string(o, "signal", m->signal);
	pogo_json_add_bool(o, "timed_out", m->timed_out);
	pogo_json_add_string(o, "state", pogo_proto_state_name(m->state));
	pogo_json_add_string(
	    o, "message", m->message != NULL ? m->message : "");
	if (m->started_at >= 0)
		pogo_json_add_double(o, "started_at", m->started_at);
	else
		pogo_json_add_null(o, "started_at");
	pogo_json_add_double(o, "finished_at", m->finished_at);
	pogo_json_add_number(o, "records", (double)m->nrecords_total);
}

char *
pogo_proto_encode(const struct pogo_msg *m, size_t *lenp)
{
	struct pogo_json *o = pogo_json_new_message();
	int channel = m->channel;

	switch (m->type) {
	case POGO_MSG_GREETING:
	case POGO_MSG_HELLO:
	case POGO_MSG_PING:
	case POGO_MSG_PONG:
		channel = 0;
		break;
	case POGO_MSG_RUN:
	case POGO_MSG_TASKSTATUS:
	case POGO_MSG_TASKKILL:
	case POGO_MSG_STATUS:
		channel = 2;
		break;
	case POGO_MSG_TASK_STARTED:
	case POGO_MSG_TASK_OUTPUT:
	case POGO_MSG_TASK_DONE:
		channel = 1;
		break;
	default:
		break;
	}
	pogo_json_add_number(o, "channel", channel);
	switch (m->type) {
	case POGO_MSG_GREETING:
		pogo_json_add_string(o, "msg", POGO_PROTO_GREETING);
		pogo_json_add_string(o, "protocol", POGO_PROTO_VERSION);
		break;
	case POGO_MSG_HELLO:
		pogo_json_add_string(o, "msg", "hello");
		pogo_json_add_string(o, "protocol", POGO_PROTO_VERSION);
		pogo_json_add_string(o, "worker", m->worker);
		pogo_json_add_string(o, "instance", m->instance);
		pogo_json_add_number(o, "max_tasks", m->max_tasks);
		pogo_json_add_string(o, "key_id", m->key_id);
		break;
	case POGO_MSG_PING:
	case POGO_MSG_PONG:
		pogo_json_add_string(o, "msg", pogo_proto_type_name(m->type));
		break;
	case POGO_MSG_REPLY:
		pogo_json_add_string(o, "type", "reply");
		pogo_json_add_number(o, "ok", m->ok);
		enc_str_opt(o, "task_id", m->task_id);
		pogo_json_add_string(
		    o, "msg", m->text != NULL ? m->text : "OK");
		enc_int_opt(o, "tasks", m->tasks);
		break;
	case POGO_MSG_UNKNOWN:
		pogo_json_add_string(o, "command", m->command);
		enc_str_opt(o, "task_id", m->task_id);
		break;
	default:
		pogo_json_add_string(
		    o, "command", pogo_proto_type_name(m->type));
		enc_str_opt(o, "task_id", m->task_id);
		break;
	}
	switch (m->type) {
	case POGO_MSG_RUN:
		pogo_json_add_string(o, "host", m->host);
		enc_task(o, m);
		break;
	case POGO_MSG_TASK_STARTED:
		pogo_json_add_double(o, "started_at", m->started_at);
		break;
	case POGO_MSG_TASK_OUTPUT:
		enc_records(o, m);
		break;
	case POGO_MSG_TASK_DONE:
		enc_done(o, m);
		break;
	default:
		break;
	}
	return pogo_json_print_line(o, lenp);
}

/* Decoding. */

struct proto_dec {
	char **causep;
	const char *where; /* "" or "task_data.task_data." */
};

static int
dec_fail(struct proto_dec *d, const char *key, const char *what)
{
	if (d->causep != NULL && *d->causep == NULL)
		xasprintf(d->causep, "'%s%s' %s", d->where, key, what);
	return POGO_ERR_PROTOCOL;
}

/*
 * String member key of o, at most max bytes, into *sp (replacing it).
 * Absent or null: an error if required, else *sp is left alone.  With
 * lenp NULL, NUL bytes are refused.
 */
static int
dec_str(struct proto_dec *d, const struct pogo_json *o, const char *key,
    bool required, size_t max, char **sp, size_t *lenp)
{
	const struct pogo_json *v = pogo_json_get(o, key);
	enum pogo_json_kind k = pogo_json_kind(v);
	char *s;
	size_t len;

	if (k == POGO_JSON_NONE || k == POGO_JSON_NULL)
		return required ? dec_fail(d, key, "missing") : 0;
	if (k != POGO_JSON_STRING)
		return dec_fail(d, key, "is not a string");
	s = pogo_json_string(v, &len);
	if (len > max) {
		free(s);
		return dec_fail(d, key, "is too long");
	}
	if (lenp == NULL && memchr(s, '\0', len) != NULL) {
		free(s);
		return dec_fail(d, key, "holds a NUL byte");
	}
	free(*sp);
	*sp = s;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/*
 * Number member key of o into *np: returns 1, or 0 when it is absent or
 * null (an error if required), or an error for another kind.
 */
static int
dec_num(struct proto_dec *d, const struct pogo_json *o, const char *key,
    bool required, double *np)
{
	const struct pogo_json *v = pogo_json_get(o, key);
	enum pogo_json_kind k = pogo_json_kind(v);

	if (k == POGO_JSON_NONE || k == POGO_JSON_NULL)
		return required ? dec_fail(d, key, "missing") : 0;
	if (k != POGO_JSON_NUMBER)
		return dec_fail(d, key, "is not a number");
	*np = pogo_json_number(v);
	return 1;
}

/*
 * Integer member key of o in [min, max] into *vp.  Absent or null: an
 * error if required, else *vp is left alone.
 */
static int
dec_int(struct proto_dec *d, const struct pogo_json *o, const char *key,
    bool required, double min, double max, long long *vp)
{
	double n = 0;
	int r;

	if ((r = dec_num(d, o, key, required, &n)) <= 0)
		return r;
	if (!isfinite(n) || n != floor(n))
		return dec_fail(d, key, "is not an integer");
	if (n < min || n > max)
		return dec_fail(d, key, "is out of range");
	*vp = (long long)n;
	return 0;
}

static int
dec_intv(struct proto_dec *d, const struct pogo_json *o, const char *key,
    bool required, int min, int max, int *vp)
{
	long long v = *vp;
	int r;

	if ((r = dec_int(d, o, key, required, min, max, &v)) != 0)
		return r;
	*vp = (int)v;
	return 0;
}

/* A time in seconds (>= 0); absent or null: *vp left alone. */
static int
dec_time(struct proto_dec *d, const struct pogo_json *o, const char *key,
    bool required, double *vp)
{
	double n = 0;
	int r;

	if ((r = dec_num(d, o, key, required, &n)) <= 0)
		return r;
	if (!isfinite(n) || n < 0 || n > POGO_PROTO_TIME_MAX)
		return dec_fail(d, key, "is out of range");
	*vp = n;
	return 0;
}

/* A boolean: true/false, or 0/1 as the job fields allow (SPEC 5.1). */
static int
dec_bool(
    struct proto_dec *d, const struct pogo_json *o, const char *key, bool *vp)
{
	const struct pogo_json *v = pogo_json_get(o, key);
	enum pogo_json_kind k = pogo_json_kind(v);
	double n;

	if (k == POGO_JSON_NONE || k == POGO_JSON_NULL)
		return 0;
	if (k == POGO_JSON_BOOL) {
		*vp = pogo_json_bool(v);
		return 0;
	}
	n = pogo_json_number(v);
	if (k != POGO_JSON_NUMBER || (n != 0 && n != 1))
		return dec_fail(d, key, "is not a boolean");
	*vp = n == 1;
	return 0;
}

/* task_id: a string, or an integer as some peers send it (N-002). */
static int
dec_task_id(struct proto_dec *d, const struct pogo_json *o, bool required,
    struct pogo_msg *m)
{
	const struct pogo_json *v = pogo_json_get(o, "task_id");
	long long n;
	int r;

	if (pogo_json_kind(v) == POGO_JSON_NUMBER) {
		if ((r = dec_int(
		         d, o, "task_id", true, 0, PROTO_INT_MAX, &n)) != 0)
			return r;
		free(m->task_id);
		xasprintf(&m->task_id, "%lld", n);
		return 0;
	}
	if ((r = dec_str(d, o, "task_id", required, POGO_PROTO_ID_MAX,
	         &m->task_id, NULL)) != 0)
		return r;
	if (m->task_id != NULL && m->task_id[0] == '\0')
		return dec_fail(d, "task_id", "is empty");
	return 0;
}

static int
dec_hello(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	int r;

	if ((r = dec_str(d, o, "protocol", true, POGO_PROTO_ID_MAX,
	         &m->protocol, NULL)) != 0 ||
	    (r = dec_str(d, o, "worker", true, POGO_PROTO_TEXT_MAX, &m->worker,
	         NULL)) != 0 ||
	    (r = dec_str(d, o, "instance", true, POGO_PROTO_ID_MAX,
	         &m->instance, NULL)) != 0 ||
	    (r = dec_intv(
	         d, o, "max_tasks", true, 0, 1000000, &m->max_tasks)) != 0)
		return r;
	return dec_str(
	    d, o, "key_id", false, POGO_PROTO_ID_MAX, &m->key_id, NULL);
}

static int
dec_run(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	const struct pogo_json *outer, *in;
	struct pogo_proto_task *t = &m->task;
	int r;

	if ((r = dec_str(
	         d, o, "host", true, POGO_PROTO_HOST_MAX, &m->host, NULL)) != 0)
		return r;
	outer = pogo_json_get(o, "task_data");
	if (pogo_json_kind(outer) != POGO_JSON_OBJECT)
		return dec_fail(d, "task_data", "is not an object");
	d->where = "task_data.";
	if ((r = dec_str(d, outer, "task_name", true, POGO_PROTO_ID_MAX,
	         &t->task_name, NULL)) != 0)
		return r;
	in = pogo_json_get(outer, "task_data");
	if (pogo_json_kind(in) != POGO_JSON_OBJECT)
		return dec_fail(d, "task_data", "is not an object");
	d->where = "task_data.task_data.";
	if ((r = dec_str(d, in, "command", true, POGO_PROTO_COMMAND_MAX,
	         &t->command, NULL)) != 0 ||
	    (r = dec_str(d, in, "job_id", false, POGO_PROTO_ID_MAX, &t->job_id,
	         NULL)) != 0 ||
	    (r = dec_str(d, in, "user", false, POGO_PROTO_TEXT_MAX, &t->user,
	         NULL)) != 0 ||
	    (r = dec_str(d, in, "ssh_user", false, POGO_PROTO_TEXT_MAX,
	         &t->ssh_user, NULL)) != 0 ||
	    (r = dec_intv(d, in, "ssh_port", false, 1, 65535, &t->ssh_port)) !=
	        0 ||
	    (r = dec_intv(d, in, "connect_timeout", false, 0, 1000000,
	         &t->connect_timeout)) != 0 ||
	    (r = dec_str(d, in, "run_as", false, POGO_PROTO_TEXT_MAX,
	         &t->run_as, NULL)) != 0 ||
	    (r = dec_int(d, in, "timeout", false, 0, 1e9, &t->timeout)) != 0 ||
	    (r = dec_intv(d, in, "retry", false, 0, 1000000, &t->retry)) != 0 ||
	    (r = dec_bool(d, in, "prehook", &t->prehook)) != 0 ||
	    (r = dec_bool(d, in, "posthook", &t->posthook)) != 0 ||
	    (r = dec_bool(d, in, "lock", &t->lock)) != 0 ||
	    (r = dec_str(d, in, "exe_name", false, POGO_PROTO_TEXT_MAX,
	         &t->exe_name, NULL)) != 0 ||
	    (r = dec_str(d, in, "exe_data", false, POGO_PROTO_EXE_MAX,
	         &t->exe_data, NULL)) != 0 ||
	    (r = dec_str(d, in, "password", false, POGO_PROTO_SECRET_MAX,
	         &t->password, NULL)) != 0 ||
	    (r = dec_str(d, in, "client_private_key", false,
	         POGO_PROTO_SECRET_MAX, &t->client_private_key, NULL)) != 0 ||
	    (r = dec_str(d, in, "pvt_key_passphrase", false,
	         POGO_PROTO_SECRET_MAX, &t->pvt_key_passphrase, NULL)) != 0)
		return r;
	d->where = "";
	return 0;
}

static int
dec_records(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	const struct pogo_json *a, *v;
	struct pogo_proto_record *rec;
	char *type = NULL;
	size_t n = 0;
	long long first = 0;
	int r;

	if ((r = dec_int(d, o, "first", true, 0, PROTO_INT_MAX, &first)) != 0)
		return r;
	m->first = (uint64_t)first;
	a = pogo_json_get(o, "records");
	if (pogo_json_kind(a) != POGO_JSON_ARRAY)
		return dec_fail(d, "records", "is not an array");
	for (v = pogo_json_first(a); v != NULL; v = pogo_json_next(v))
		n++;
	if (n > POGO_PROTO_RECORDS_MAX)
		return dec_fail(d, "records", "has too many records");
	m->records = xcalloc(n > 0 ? n : 1, sizeof(*m->records));
	d->where = "records[].";
	for (v = pogo_json_first(a); v != NULL; v = pogo_json_next(v)) {
		rec = &m->records[m->nrecords];
		if (pogo_json_kind(v) != POGO_JSON_OBJECT) {
			r = dec_fail(d, "", "is not an object");
			break;
		}
		m->nrecords++;
		if ((r = dec_time(d, v, "ts", true, &rec->ts)) != 0 ||
		    (r = dec_str(d, v, "type", true, 16, &type, NULL)) != 0)
			break;
		if (strcmp(type, "STDOUT") == 0)
			rec->type = POGO_OUT_STDOUT;
		else if (strcmp(type, "STDERR") == 0)
			rec->type = POGO_OUT_STDERR;
		else {
			r = dec_fail(d, "type", "is not STDOUT or STDERR");
			break;
		}
		if ((r = dec_str(d, v, "data", true, POGO_PROTO_OUTPUT_MAX,
		         &rec->data, &rec->len)) != 0)
			break;
		rec->eol = true;
		if ((r = dec_bool(d, v, "eol", &rec->eol)) != 0)
			break;
	}
	free(type);
	if (r == 0)
		d->where = "";
	return r;
}

static int
dec_done(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	char *state = NULL;
	long long total = 0;
	size_t i;
	int r;

	if ((r = dec_intv(d, o, "rc", false, 0, 255, &m->rc)) != 0 ||
	    (r = dec_str(d, o, "signal", false, 32, &m->signal, NULL)) != 0 ||
	    (r = dec_bool(d, o, "timed_out", &m->timed_out)) != 0 ||
	    (r = dec_str(d, o, "state", true, 16, &state, NULL)) != 0)
		goto out;
	for (i = 0; i < POGO_NELEM(proto_states); i++) {
		if (strcmp(state, proto_states[i]) == 0)
			break;
	}
	if (i == POGO_NELEM(proto_states)) {
		r = dec_fail(
		    d, "state", "is not finished, failed or unreachable");
		goto out;
	}
	m->state = (enum pogo_exec_state)i;
	if ((r = dec_str(d, o, "message", false, POGO_PROTO_TEXT_MAX,
	         &m->message, NULL)) != 0 ||
	    (r = dec_time(d, o, "started_at", false, &m->started_at)) != 0 ||
	    (r = dec_time(d, o, "finished_at", true, &m->finished_at)) != 0 ||
	    (r = dec_int(d, o, "records", true, 0, PROTO_INT_MAX, &total)) != 0)
		goto out;
	if (m->message == NULL)
		m->message = xstrdup("");
	m->nrecords_total = (uint64_t)total;
out:
	free(state);
	return r;
}

/* The type of a message on channel (0, 1 or 2) named name (or NULL). */
static enum pogo_msg_type
proto_lookup(int channel, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < POGO_NELEM(proto_types); i++) {
		if (proto_types[i].channel == channel &&
		    strcmp(proto_types[i].name, name) == 0)
			return proto_types[i].type;
	}
	return POGO_MSG_UNKNOWN;
}

/* Channel 0: the verb is in msg. */
static int
dec_control(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	char *verb = NULL;
	int r;

	if ((r = dec_str(
	         d, o, "msg", true, POGO_PROTO_TEXT_MAX, &verb, NULL)) != 0)
		return r;
	m->type = proto_lookup(0, verb);
	switch (m->type) {
	case POGO_MSG_GREETING:
		m->text = verb;
		return dec_str(d, o, "protocol", true, POGO_PROTO_ID_MAX,
		    &m->protocol, NULL);
	case POGO_MSG_HELLO:
		r = dec_hello(d, o, m);
		break;
	case POGO_MSG_UNKNOWN:
		/* Nothing to answer on channel 0. */
		m->type = POGO_MSG_IGNORED;
		break;
	default:
		break;
	}
	free(verb);
	return r;
}

/* Channels 1 and 2: replies, and requests with their verb in command. */
static int
dec_request(struct proto_dec *d, const struct pogo_json *o, struct pogo_msg *m)
{
	const struct pogo_json *type = pogo_json_get(o, "type");
	long long ok = 0;
	int r;

	if (pogo_json_kind(type) == POGO_JSON_STRING) {
		char *s = pogo_json_string(type, NULL);
		bool reply = strcmp(s, "reply") == 0;

		free(s);
		if (reply) {
			m->type = POGO_MSG_REPLY;
			if ((r = dec_int(d, o, "ok", true, 0, 1, &ok)) != 0)
				return r;
			m->ok = (int)ok;
			if ((r = dec_task_id(d, o, false, m)) != 0 ||
			    (r = dec_str(d, o, "msg", false,
			         POGO_PROTO_TEXT_MAX, &m->text, NULL)) != 0)
				return r;
			return dec_intv(
			    d, o, "tasks", false, 0, 1000000, &m->tasks);
		}
	}
	if ((r = dec_str(d, o, "command", false, POGO_PROTO_TEXT_MAX,
	         &m->command, NULL)) != 0)
		return r;
	if (m->command == NULL && m->channel == POGO_CHAN_COMMAND)
		m->type = POGO_MSG_RUN; /* SPEC 8.3: no command is run */
	else
		m->type = proto_lookup(m->channel, m->command);
	/* Read task_id first, so an error can still be answered. */
	if ((r = dec_task_id(d, o,
	         m->type != POGO_MSG_STATUS && m->type != POGO_MSG_UNKNOWN,
	         m)) != 0)
		return r;
	switch (m->type) {
	case POGO_MSG_RUN:
		return dec_run(d, o, m);
	case POGO_MSG_TASK_STARTED:
		return dec_time(d, o, "started_at", true, &m->started_at);
	case POGO_MSG_TASK_OUTPUT:
		return dec_records(d, o, m);
	case POGO_MSG_TASK_DONE:
		return dec_done(d, o, m);
	default:
		return 0;
	}
}

int
pogo_proto_decode(
    const char *line, size_t len, struct pogo_msg *m, char **causep)
{
	struct pogo_json *doc = NULL;
	struct proto_dec d = { causep, "" };
	long long channel = 0;
	int r;

	pogo_proto_msg_init(m, POGO_MSG_IGNORED);
	if (causep != NULL)
		*causep = NULL;
	if ((r = pogo_json_parse_object(line, len, &doc)) != 0) {
		if (causep != NULL)
			*causep = xstrdup("not a JSON object");
		return r;
	}
	if ((r = dec_int(&d, doc, "channel", false, -PROTO_INT_MAX,
	         PROTO_INT_MAX, &channel)) != 0)
		goto out;
	if (channel < 0 || channel > 2)
		goto out; /* SPEC 8.2: ignored */
	m->channel = (int)channel;
	if (channel == POGO_CHAN_CONTROL)
		r = dec_control(&d, doc, m);
	else
		r = dec_request(&d, doc, m);
out:
	pogo_json_free(doc);
	return r;
}
