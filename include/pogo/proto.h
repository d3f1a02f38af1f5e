/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher-worker protocol (SPEC 8): every message as a typed
 * struct, encoded to and decoded from one JSON line.  Pure: no I/O, no
 * state (the framing is in wire.h, reliable delivery in queue.h).
 *
 * Message types are numbered in blocks; never renumber a value, retire it
 * with a comment:
 *   100s  channel 0, either way: greeting, hello, heartbeat;
 *   200s  channel 2, dispatcher -> worker: commands (`command`);
 *   300s  channel 1, worker -> dispatcher: reports (`command`);
 *   400s  replies ("type": "reply") on channel 1 or 2.
 *
 * Decoding treats the peer as hostile: every member is checked for its
 * type and bounds, and anything wrong gives POGO_ERR_PROTOCOL with a
 * message naming the member, never a crash.  A request with a `command`
 * this version does not know decodes as POGO_MSG_UNKNOWN with the command
 * in msg->command, so the receiver can answer it as SPEC 8.3 says; a
 * message on a channel other than 0, 1 and 2 decodes as POGO_MSG_IGNORED.
 *
 * Strings of a decoded message are owned by the message (freed by
 * pogo_proto_msg_clear()); record data may hold NUL bytes and has a
 * length, every other string is NUL-terminated and holds no NUL.  All
 * strings are valid UTF-8 (invalid bytes become U+FFFD).
 */
#ifndef POGO_PROTO_H
#define POGO_PROTO_H

#include "pogo/exec.h"

#define POGO_PROTO_VERSION "2.0"
#define POGO_PROTO_GREETING "Hello, worker."
/* A longer line closes the connection (SPEC 8.1). */
#define POGO_PROTO_MAX_LINE (4u * 1024 * 1024)
/* Output data per task_output message (SPEC 8.3). */
#define POGO_PROTO_OUTPUT_MAX (64u * 1024)

/* Bounds checked on decode. */
#define POGO_PROTO_ID_MAX 256   /* task_id, job_id, instance, ... */
#define POGO_PROTO_HOST_MAX 255 /* SPEC 5.2 */
#define POGO_PROTO_COMMAND_MAX (128u * 1024)  /* SPEC 5.1 */
#define POGO_PROTO_EXE_MAX (2u * 1024 * 1024) /* 1 MiB, base64 */
#define POGO_PROTO_SECRET_MAX (64u * 1024)
#define POGO_PROTO_TEXT_MAX 4096     /* msg, message, user, ... */
#define POGO_PROTO_RECORDS_MAX 65536 /* records per message */
#define POGO_PROTO_TIME_MAX 1e11     /* seconds since the epoch */

enum pogo_proto_channel {
	POGO_CHAN_CONTROL = 0,
	POGO_CHAN_REPORT = 1,
	POGO_CHAN_COMMAND = 2,
};

enum pogo_msg_type {
	POGO_MSG_IGNORED = 0, /* unknown channel: drop silently */
	POGO_MSG_UNKNOWN = 1, /* unknown command: see msg->command */

	POGO_MSG_GREETING = 100,
	POGO_MSG_HELLO = 101,
	POGO_MSG_PING = 102,
	POGO_MSG_PONG = 103,

	POGO_MSG_RUN = 200,
	POGO_MSG_TASKSTATUS = 201,
	POGO_MSG_TASKKILL = 202,
	POGO_MSG_STATUS = 203,

	POGO_MSG_TASK_STARTED = 300,
	POGO_MSG_TASK_OUTPUT = 301,
	POGO_MSG_TASK_DONE = 302,

	POGO_MSG_REPLY = 400,
};

/* The inner task_data of a run (SPEC 8.3); absent strings are NULL. */
struct pogo_proto_task {
	char *task_name; /* "ssh", "local", or anything (reported rc 255) */
	char *command;
	char *job_id;
	char *user;
	char *ssh_user;
	int ssh_port;        /* -1: absent */
	int connect_timeout; /* seconds, -1: absent */
	char *run_as;
	long long timeout; /* seconds, 0: none, -1: absent */
	int retry;
	bool prehook;
	bool posthook;
	bool lock;
	char *exe_name;
	char *exe_data;
	/* Encrypted secrets (SPEC 10.3), absent unless the job has them. */
	char *password;
	char *client_private_key;
	char *pvt_key_passphrase;
};

/*
 * One output record (SPEC 5.8).  eol: a newline ended the line; false
 * for a partial line (the last one of a stream, or one sent after 0.5 s
 * without its newline), which is "eol": false on the wire.  A record
 * without "eol" (a worker before issue 9) is a line.
 */
struct pogo_proto_record {
	double ts;
	enum pogo_out_type type;
	char *data; /* may hold NUL bytes */
	size_t len;
	bool eol;
};

struct pogo_msg {
	enum pogo_msg_type type;
	int channel;
	char *command;  /* POGO_MSG_UNKNOWN: the verb received */
	char *task_id;  /* run, taskstatus, taskkill, reports; reply: or NULL */
	char *protocol; /* greeting, hello */
	char *text;     /* greeting's msg, reply's msg */
	/* hello */
	char *worker;
	char *instance;
	int max_tasks;
	char *key_id; /* or NULL */
	/* run */
	char *host;
	struct pogo_proto_task task;
	/* reply */
	int ok;    /* 0 success, 1 refusal */
	int tasks; /* status reply: tasks running; -1: absent */
	/* task_started, task_done */
	double started_at; /* < 0: null (task_done) */
	/* task_output */
	uint64_t first;
	struct pogo_proto_record *records;
	size_t nrecords;
	/* task_done */
	int rc;       /* 0-255, -1: null */
	char *signal; /* "TERM", or NULL */
	bool timed_out;
	enum pogo_exec_state state;
	char *message;
	double finished_at;
	uint64_t nrecords_total; /* "records": output records of the task */
};

/* Zero m for encoding (tasks, rc and the -1 fields set to "absent"). */
void pogo_proto_msg_init(struct pogo_msg *m, enum pogo_msg_type type);
/* Free what a decoded message owns; m is left initialised (NULL-safe). */
void pogo_proto_msg_clear(struct pogo_msg *m);

/*
 * Encode m as one line ending in its only '\n' (a new string the caller
 * frees; *lenp its length).  Strings of m are borrowed.  Fields not used
 * by m->type are ignored.
 */
char *pogo_proto_encode(const struct pogo_msg *m, size_t *lenp);

/*
 * Decode one line (without or with its '\n').  Returns 0 and fills m (to
 * be cleared with pogo_proto_msg_clear(), also after an error), or
 * POGO_ERR_JSON (not a JSON object: SPEC 8.1 says log it and go on) or
 * POGO_ERR_PROTOCOL (a known message with a bad member), with an
 * explanation in *causep (the caller frees it; may be NULL).  After
 * POGO_ERR_PROTOCOL, m->type, m->channel and m->task_id are set when
 * they could be read, so a request can still be answered.
 */
int pogo_proto_decode(
    const char *line, size_t len, struct pogo_msg *m, char **causep);

/* The name of a message type ("run", "task_done", ...). */
const char *pogo_proto_type_name(enum pogo_msg_type type);
/* "finished", "failed", "unreachable". */
const char *pogo_proto_state_name(enum pogo_exec_state state);

#endif
