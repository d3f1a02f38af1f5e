/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's durable store over SQLite (SPEC 6), the only file that
 * includes SQLite.  The main connection belongs to the loop thread: every
 * write runs at once inside one open transaction, which a uv_check handle
 * commits at the end of the loop turn (a uv_idle handle keeps poll from
 * blocking while a transaction is open).  After-commit callbacks wait in
 * a FIFO and are called from the check handle once the changes queued
 * before them are committed.  Output records wait in a bounded buffer and
 * a timer writes them at least once per output interval.  WAL checkpoints
 * run in the thread pool on a second connection.
 */
#include "pogo/compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* Each migration takes the schema from version i to i + 1. */
static const char *const store_migrations[] = {
	/* 0 -> 1: the schema of SPEC 6.1. */
	"CREATE TABLE counters (name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO counters VALUES ('next_job', 0), ('next_task', 1);"
	"CREATE TABLE settings (name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE jobs (job INTEGER PRIMARY KEY,"
	"  state INTEGER NOT NULL, state_message TEXT, user TEXT,"
	"  run_as TEXT, ssh_user TEXT, ssh_port INTEGER,"
	"  connect_timeout INTEGER, command TEXT NOT NULL,"
	"  task_name TEXT NOT NULL, config TEXT, namespace TEXT,"
	"  timeout INTEGER NOT NULL, job_timeout INTEGER NOT NULL,"
	"  retry INTEGER NOT NULL, prehook INTEGER NOT NULL,"
	"  posthook INTEGER NOT NULL, lock INTEGER NOT NULL,"
	"  concurrent TEXT, exe_name TEXT, exe_data TEXT,"
	"  requesthost TEXT, invoked_as TEXT, client TEXT, email TEXT,"
	"  im_handle TEXT, message TEXT, start_time REAL NOT NULL,"
	"  end_time REAL, host_count INTEGER NOT NULL,"
	"  has_password INTEGER NOT NULL, has_key INTEGER NOT NULL,"
	"  key_id TEXT);"
	"CREATE INDEX jobs_user ON jobs (user, job);"
	"CREATE TABLE job_ranges (job INTEGER NOT NULL"
	"  REFERENCES jobs (job) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, pattern TEXT NOT NULL,"
	"  PRIMARY KEY (job, idx)) WITHOUT ROWID;"
	"CREATE TABLE hosts (job INTEGER NOT NULL"
	"  REFERENCES jobs (job) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, name TEXT NOT NULL,"
	"  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,"
	"  runs INTEGER NOT NULL DEFAULT 0, start_time REAL,"
	"  finish_time REAL, task_id TEXT, worker TEXT,"
	"  worker_instance TEXT, PRIMARY KEY (job, idx)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX hosts_name ON hosts (name, job);"
	"CREATE TABLE log (job INTEGER NOT NULL"
	"  REFERENCES jobs (job) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, time REAL NOT NULL, host INTEGER,"
	"  state INTEGER NOT NULL, message TEXT, exitstatus INTEGER,"
	"  run INTEGER NOT NULL DEFAULT 0, output INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (job, idx),"
	"  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)"
	"  ON DELETE CASCADE) WITHOUT ROWID;"
	"CREATE TABLE output (job INTEGER NOT NULL, host INTEGER NOT NULL,"
	"  run INTEGER NOT NULL, seq INTEGER NOT NULL, ts REAL NOT NULL,"
	"  type INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY (job, host, run, seq),"
	"  FOREIGN KEY (job, host) REFERENCES hosts (job, idx)"
	"  ON DELETE CASCADE) WITHOUT ROWID;",
	/* 1 -> 2: per-job per-state host counts, kept by triggers in the
	 * statement that inserts, changes or deletes a host row (so in the
	 * same transaction), for the control port's summaries; a
	 * (job, name) index for its host pages in name order. */
	"CREATE TABLE host_counts (job INTEGER NOT NULL"
	"  REFERENCES jobs (job) ON DELETE CASCADE,"
	"  state INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (job, state)) WITHOUT ROWID;"
	"INSERT INTO host_counts SELECT job, state, count(*) FROM hosts"
	"  GROUP BY job, state;"
	"CREATE TRIGGER hosts_count_insert AFTER INSERT ON hosts BEGIN"
	"  INSERT INTO host_counts VALUES (new.job, new.state, 1)"
	"  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER hosts_count_update AFTER UPDATE OF state ON hosts"
	"  WHEN old.state IS NOT new.state BEGIN"
	"  UPDATE host_counts SET n = n - 1"
	"  WHERE job = old.job AND state = old.state;"
	"  INSERT INTO host_counts VALUES (new.job, new.state, 1)"
	"  ON CONFLICT (job, state) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER hosts_count_delete AFTER DELETE ON hosts BEGIN"
	"  UPDATE host_counts SET n = n - 1"
	"  WHERE job = old.job AND state = old.state; END;"
	"CREATE INDEX hosts_job_name ON hosts (job, name);",
	/* 2 -> 3: whether a newline ended each output record (SPEC 5.8: a
	 * partial line has none); the records of schema 2 are lines. */
	"ALTER TABLE output ADD COLUMN eol INTEGER NOT NULL DEFAULT 1;",
	/* 3 -> 4: the answers of a job's external references at submission
	 * (SPEC 2.7, 6.4): its hosts, one per line, or why it failed.  The
	 * jobs of schema 3 have none. */
	"CREATE TABLE job_refs (job INTEGER NOT NULL"
	"  REFERENCES jobs (job) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL, ref TEXT NOT NULL, hosts TEXT,"
	"  failure TEXT, PRIMARY KEY (job, idx)) WITHOUT ROWID;",
	/* 4 -> 5: the per-state host counts are no longer kept by triggers
	 * (issue 8: 12,700 instructions per change of a host's state, and
	 * one more statement per host inserted): the store counts the hosts
	 * of a job that changes in memory and writes host_counts when the
	 * job leaves memory; a row of state -1 marks a job whose counts may
	 * lag its rows meanwhile (counted from the rows, and mended at the
	 * next open).  The table and its counts stay as the triggers left
	 * them. */
	"DROP TRIGGER hosts_count_insert;"
	"DROP TRIGGER hosts_count_update;"
	"DROP TRIGGER hosts_count_delete;",
};

#define STORE_JOB_COLUMNS                                                   \
	"job, state, state_message, user, run_as, ssh_user, ssh_port,"      \
	" connect_timeout, command, task_name, config, namespace, timeout," \
	" job_timeout, retry, prehook, posthook, lock, concurrent,"         \
	" exe_name, exe_data, requesthost, invoked_as, client, email,"      \
	" im_handle, message, start_time, end_time, host_count,"            \
	" has_password, has_key, key_id"

enum store_stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_COUNTER_SET,
	S_JOB_INSERT,
	S_RANGE_INSERT,
	S_HOST_INSERT,
	S_JOB_STATE,
	S_HOST_SET,
	S_LOG_INSERT,
	S_OUT_INSERT,
	S_OUT_FORGET,
	S_OUT_FORGET_ONE,
	S_SETTING_SET,
	S_SETTING_GET,
	S_JOBS,
	S_JOB_GET,
	S_RANGES,
	S_HOSTS,
	S_HOSTS_BY_NAME,
	S_HOST_FIND,
	S_LOG,
	S_LOG_LENGTH,
	S_HOST_STATES,
	S_HOST_COUNTS,
	S_COUNT_SET,
	S_COUNT_UNMARK,
	S_HOST_TALLY,
	S_OUTPUT,
	S_COUNTERS,
	S_LIST,
	S_LIST_COUNT,
	S_REF_SET,
	S_REFS,
	S_NSTMT
};

static const char *const store_sql[S_NSTMT] = {
	[S_BEGIN] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT call",
	[S_RELEASE] = "RELEASE call",
	[S_ROLLBACK_TO] = "ROLLBACK TO call",
	[S_COUNTER_SET] = "UPDATE counters SET value = ?2 WHERE name = ?1",
	[S_JOB_INSERT] = "INSERT INTO jobs (" STORE_JOB_COLUMNS ") VALUES"
	                 " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
	                 " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
	                 " ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
	                 " ?33)",
	[S_RANGE_INSERT] = "INSERT INTO job_ranges VALUES (?1, ?2, ?3)",
	[S_HOST_INSERT] = "INSERT INTO hosts (job, idx, name, state)"
	                  " VALUES (?1, ?2, ?3, 0)",
	[S_JOB_STATE] = "UPDATE jobs SET state = ?2, state_message = ?3,"
	                " end_time = ?4 WHERE job = ?1",
	[S_HOST_SET] = "UPDATE hosts SET state = ?3, message = ?4,"
	               " exitstatus = ?5, runs = ?6, start_time = ?7,"
	               " finish_time = ?8, task_id = ?9, worker = ?10,"
	               " worker_instance = ?11 WHERE job = ?1 AND idx = ?2",
	[S_LOG_INSERT] = "INSERT INTO log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	                 " ?8, ?9)",
	[S_OUT_INSERT] = "INSERT OR IGNORE INTO output VALUES (?1, ?2, ?3, ?4,"
	                 " ?5, ?6, ?7, ?8)",
	[S_OUT_FORGET] = "DELETE FROM output WHERE job = ?1 AND host = ?2"
	                 " AND run = ?3 AND seq < ?4",
	[S_OUT_FORGET_ONE] = "DELETE FROM output WHERE job = ?1 AND host = ?2"
	                     " AND run = ?3 AND seq = ?4",
	[S_SETTING_SET] = "INSERT INTO settings VALUES (?1, ?2) ON CONFLICT"
	                  " (name) DO UPDATE SET value = excluded.value",
	[S_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
	[S_JOBS] = "SELECT " STORE_JOB_COLUMNS " FROM jobs ORDER BY job",
	[S_JOB_GET] = "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE job = ?1",
	[S_RANGES] = "SELECT pattern FROM job_ranges WHERE job = ?1"
	             " ORDER BY idx",
	[S_HOSTS] = "SELECT idx, name, state, message, exitstatus, runs,"
	            " start_time, finish_time, task_id, worker,"
	            " worker_instance FROM hosts WHERE job = ?1 AND idx >= ?2"
	            " ORDER BY idx LIMIT ?3",
	/* The (job, name) index gives the order; a state filter skips
	 * rows of that walk. */
	[S_HOSTS_BY_NAME] = "SELECT idx, name, state, message, exitstatus,"
	                    " runs, start_time, finish_time, task_id, worker,"
	                    " worker_instance FROM hosts INDEXED BY"
	                    " hosts_job_name WHERE job = ?1 AND (?2 < 0 OR"
	                    " state = ?2) ORDER BY name LIMIT ?4 OFFSET ?3",
	[S_HOST_FIND] = "SELECT idx FROM hosts WHERE name = ?2 AND job = ?1",
	[S_LOG] = "SELECT l.idx, l.time, l.host, h.name, l.state, l.message,"
	          " l.exitstatus, l.run, l.output FROM log l LEFT JOIN hosts h"
	          " ON h.job = l.job AND h.idx = l.host WHERE l.job = ?1 AND"
	          " l.idx >= ?2 ORDER BY l.idx LIMIT ?3",
	/* One index lookup: entries are numbered 0, 1, ... */
	[S_LOG_LENGTH] = "SELECT coalesce(max(idx) + 1, 0) FROM log"
	                 " WHERE job = ?1",
	[S_HOST_STATES] = "SELECT idx, state FROM hosts WHERE job = ?1"
	                  " ORDER BY idx",
	[S_HOST_COUNTS] = "SELECT state, n FROM host_counts WHERE job = ?1",
	[S_COUNT_SET] = "INSERT INTO host_counts VALUES (?1, ?2, ?3)"
	                " ON CONFLICT (job, state) DO UPDATE SET n = ?3",
	[S_COUNT_UNMARK] = "DELETE FROM host_counts WHERE job = ?1"
	                   " AND state = -1",
	[S_HOST_TALLY] = "SELECT state, count(*) FROM hosts WHERE job = ?1"
	                 " GROUP BY state",
	[S_OUTPUT] = "SELECT host, run, seq, ts, type, data, eol FROM output"
	             " WHERE job = ?1 AND host = ?2 AND run = ?3 AND seq >= ?4"
	             " ORDER BY seq LIMIT ?5",
	[S_COUNTERS] = "SELECT name, value FROM counters",
	[S_LIST] = "SELECT " STORE_JOB_COLUMNS " FROM jobs WHERE"
	           " (?1 IS NULL OR user = ?1) AND (?2 < 0 OR state = ?2) AND"
	           " (?3 IS NULL OR namespace = ?3) AND (?4 IS NULL OR job IN"
	           " (SELECT job FROM hosts WHERE name = ?4))"
	           " ORDER BY job DESC LIMIT ?6 OFFSET ?5",
	[S_LIST_COUNT] =
	    "SELECT count(*) FROM jobs WHERE"
	    " (?1 IS NULL OR user = ?1) AND (?2 < 0 OR state = ?2)"
	    " AND (?3 IS NULL OR namespace = ?3) AND (?4 IS NULL OR"
	    " job IN (SELECT job FROM hosts WHERE name = ?4))",
	[S_REF_SET] = "INSERT OR REPLACE INTO job_refs VALUES (?1, ?2, ?3,"
	              " ?4, ?5)",
	[S_REFS] = "SELECT idx, ref, hosts, failure FROM job_refs"
	           " WHERE job = ?1 ORDER BY idx",
};

/* A callback waiting for a commit. */
struct store_waiter {
	pogo_store_commit_cb cb;
	void *arg;
	int status;
	struct store_waiter *next;
};

struct store_waitq {
	struct store_waiter *head;
	struct store_waiter **tail;
};

/*
 * A host's state queued by pogo_store_host_set(), written at the commit
 * (or before a read of host rows): the host's latest state of the
 * transaction, one UPDATE however many times it changed.  Its strings
 * are copied into buf (kept from one transaction to the next), each at
 * an offset, -1 for NULL.
 */
struct store_hostrow {
	uint64_t job;
	struct pogo_store_host h; /* name unused; strings NULL here */
	int32_t message, task_id, worker, instance;
	char *buf;
	size_t len, cap;
	uint32_t slot; /* its slot in hslots */
};

/* Slots of the (job, host) -> queued row table: twice the most rows a
 * transaction queues (each is a change, POGO_STORE_MAX_BATCH). */
#define STORE_HOST_SLOTS (2 * POGO_STORE_MAX_BATCH)
/* pogo_store_output_forget() deletes at most this many records one by
 * one, more with one range delete. */
#define STORE_FORGET_ONE 16
/* Host states the store counts (enum pogo_host_state is smaller); a
 * row's state in struct store_hjob, or STORE_NOROW for no row. */
#define STORE_NSTATES 32
#define STORE_NOROW 0xff
/*
 * Bytes of the jobs whose hosts are kept in memory (a struct store_hjob
 * and a byte per host each) at most, by default: those changed least
 * recently go first, counted by host_counts from then on.  A job leaves
 * memory when it ends, so only jobs that change are kept, and the
 * dispatcher engine keeps far more per host of each (review11 11: a cap
 * of 128 jobs made 200 running jobs reload each other's rows at every
 * change).  pogo_store_hjobs_budget() sets it for tests.
 */
#define STORE_HJOBS_BUDGET ((size_t)64 << 20)

/*
 * A job's hosts as the store counts them while they change: each row's
 * latest state (queued or written) and the number of rows in each state.
 * Read from the rows when a host of the job changes (or made by the job's
 * insert), then kept by the calls that insert and change rows, which are
 * never deleted but with their job.  `base` is what host_counts holds in
 * the open transaction: the counts that differ are written when the job
 * leaves memory (it ends, others changed since, or the store closes);
 * until then host_counts holds the job's mark (state -1), written in the
 * transaction that loaded it.
 */
struct store_hjob {
	uint64_t job;
	uint64_t used;  /* st->hjob_tick when it last changed */
	uint32_t nrows; /* rows 0 .. nrows - 1 */
	uint32_t cap;
	uint8_t *state;
	bool dirty;  /* n may differ from base */
	bool marked; /* host_counts holds its mark */
	uint32_t n[STORE_NSTATES];
	uint32_t base[STORE_NSTATES];
};

/* A buffered output record. */
struct store_out {
	uint64_t job;
	struct pogo_store_output o;
	char *data;
};

struct pogo_store {
	uv_loop_t *loop;
	pogo_store_commit_cb broken_cb; /* opts.broken */
	void *broken_arg;
	sqlite3 *db;
	sqlite3 *ckdb; /* the checkpoint connection; NULL in memory */
	sqlite3_stmt *stmt[S_NSTMT];
	bool busy[S_NSTMT]; /* a read calling its visitor */
	int lockfd;
	char *dir;

	bool in_txn;
	uint32_t nchanges; /* in the open transaction */
	int broken;        /* a failed commit: every later write fails */
	uint64_t next_job;
	uint64_t next_task;

	struct store_waitq waiting; /* registered, not yet committed */
	struct store_waitq ready;   /* committed, to be called */

	struct store_hostrow *hrows; /* queued host states, in order */
	size_t nhrows, hrows_cap;
	uint32_t *hslots; /* (job, idx) hash -> index in hrows + 1; 0: free */
	/* Queued rows that failed before the commit: it fails. */
	int hosts_lost;
	/* Jobs with host rows -> struct store_hjob, open addressing. */
	struct store_hjob **hjobs;
	size_t hjobs_cap, nhjobs;
	size_t hjobs_budget; /* STORE_HJOBS_BUDGET */
	uint64_t hjob_tick;
	size_t ndirty; /* dirty jobs in hjobs */

	struct store_out *out;
	uint64_t drop_logged; /* uv_now of the last drop logged */
	size_t nout;
	size_t outbytes;
	unsigned out_ms;

	uv_idle_t idle;
	uv_check_t check;
	uv_timer_t out_timer;
	bool armed;

	uv_work_t ckpt_req;
	bool ckpt_busy;
	unsigned ckpt_pages;
	unsigned ckpt_mark;  /* WAL size at the last checkpoint */
	unsigned wal_last;   /* WAL size after the last commit */
	int ck_npages;       /* the WAL after the pool's own commit */
	bool ckpt_restarted; /* the pool's commit restarted the WAL */
	bool ckpt_chase;     /* checkpoint after each commit until a restart */
	uint64_t ckpt_commits; /* commits when the checkpoint was queued */
	int ckpt_rc;

	bool fail_commits; /* pogo_store_fail_commits() */

	bool closing;
	int nclose;
	void (*close_cb)(void *);
	void *close_arg;

	struct pogo_store_stats stats;
};

static void store_commit_point(struct pogo_store *st);
static void store_check_cb(uv_check_t *h);
static void store_close_finish(struct pogo_store *st);

const char *
pogo_store_version(void)
{
	return sqlite3_libversion();
}

/* Translate an SQLite failure (the one boundary); log its detail. */
static int
store_err(sqlite3 *db, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_CONSTRAINT &&
	    (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
	        rc == SQLITE_CONSTRAINT_UNIQUE))
		return UV_EEXIST;
	log_debug("store: %s: %s (%d)", what,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	return POGO_ERR_STORE;
}

static void
waitq_init(struct store_waitq *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
waitq_push(struct store_waitq *q, struct store_waiter *w)
{
	w->next = NULL;
	*q->tail = w;
	q->tail = &w->next;
}

/* Move every waiter of from to the end of to, with status. */
static void
waitq_move(struct store_waitq *to, struct store_waitq *from, int status)
{
	struct store_waiter *w;

	for (w = from->head; w != NULL; w = w->next)
		w->status = status;
	if (from->head == NULL)
		return;
	*to->tail = from->head;
	to->tail = from->tail;
	waitq_init(from);
}

static void
store_idle_cb(uv_idle_t *h)
{
	/* Only there to keep poll from blocking; the check does the work. */
}

/* Keep the loop from blocking until the next commit point. */
static void
store_arm(struct pogo_store *st)
{
	if (st->armed || st->closing)
		return;
	uv_idle_start(&st->idle, store_idle_cb);
	uv_check_start(&st->check, store_check_cb);
	st->armed = true;
}

static int
store_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		log_debug("store: %s: %s", sql, msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return POGO_ERR_STORE;
	}
	return 0;
}

/* Run a prepared statement that returns no rows, then reset it. */
static int
store_step(struct pogo_store *st, enum store_stmt s)
{
	sqlite3_stmt *stmt = st->stmt[s];
	int rc, r = 0;

	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = store_err(st->db, rc, store_sql[s]);
	sqlite3_reset(stmt);
	return r;
}

static int store_begin(struct pogo_store *st);

/* Open a savepoint for a call of several rows, in the transaction. */
static int
store_call_begin(struct pogo_store *st)
{
	int r;

	if ((r = store_begin(st)) != 0)
		return r;
	return store_step(st, S_SAVEPOINT);
}

/* End the call's savepoint: keep its rows if r is 0, else undo them.
 * No call changes the counted hosts or host_counts before its savepoint
 * ends well, so they need no undoing. */
static int
store_call_end(struct pogo_store *st, int r)
{
	if (r != 0)
		(void)store_step(st, S_ROLLBACK_TO);
	(void)store_step(st, S_RELEASE);
	return r;
}

static void store_wait(
    struct pogo_store *st, pogo_store_commit_cb cb, void *arg);

static int
store_begin(struct pogo_store *st)
{
	int r;

	if (st->broken != 0)
		return st->broken;
	if (st->closing)
		return UV_ECANCELED;
	if (st->in_txn)
		return 0;
	if ((r = store_step(st, S_BEGIN)) != 0)
		return r;
	st->in_txn = true;
	st->nchanges = 0;
	store_arm(st);
	return 0;
}

static void
store_bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Times of 0 and exit statuses of -1 are stored as NULL. */
static void
store_bind_time(sqlite3_stmt *s, int i, double t)
{
	if (t == 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_double(s, i, t);
}

static void
store_bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

static const char *
store_hostrow_str(const struct store_hostrow *w, int32_t off)
{
	return off < 0 ? NULL : w->buf + off;
}

static size_t
store_hjob_hash(uint64_t job, size_t cap)
{
	return (size_t)((job * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

/* A job's counted hosts, if they are loaded. */
static struct store_hjob *
store_hjob_find(struct pogo_store *st, uint64_t job)
{
	struct store_hjob *hj;
	size_t i;

	if (st->hjobs_cap == 0)
		return NULL;
	for (i = store_hjob_hash(job, st->hjobs_cap);
	     (hj = st->hjobs[i]) != NULL; i = (i + 1) & (st->hjobs_cap - 1))
		if (hj->job == job)
			return hj;
	return NULL;
}

/* Put hj in the table (its job not there yet); grow it at half full. */
static void
store_hjob_put(struct pogo_store *st, struct store_hjob *hj)
{
	struct store_hjob **old = st->hjobs;
	size_t oldcap = st->hjobs_cap, i;

	if (2 * (st->nhjobs + 1) > st->hjobs_cap) {
		st->hjobs_cap = oldcap == 0 ? 16 : 2 * oldcap;
		st->hjobs = xcalloc(st->hjobs_cap, sizeof(*st->hjobs));
		st->nhjobs = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				store_hjob_put(st, old[i]);
		free(old);
	}
	for (i = store_hjob_hash(hj->job, st->hjobs_cap); st->hjobs[i] != NULL;
	     i = (i + 1) & (st->hjobs_cap - 1))
		;
	st->hjobs[i] = hj;
	st->nhjobs++;
}

static void
store_hjob_free(struct store_hjob *hj)
{
	free(hj->state);
	free(hj);
}

/* Forget every job's counted hosts (a failed transaction, which also
 * undid its writes of host_counts; or the close). */
static void
store_hjobs_drop(struct pogo_store *st)
{
	size_t i;

	for (i = 0; i < st->hjobs_cap; i++)
		if (st->hjobs[i] != NULL)
			store_hjob_free(st->hjobs[i]);
	free(st->hjobs);
	st->hjobs = NULL;
	st->hjobs_cap = st->nhjobs = st->ndirty = 0;
}

/* Room for rows below nrows; new rows have none yet. */
static void
store_hjob_grow(struct store_hjob *hj, uint32_t nrows)
{
	uint32_t cap;

	if (nrows > hj->cap) {
		cap = nrows > 2 * hj->cap ? nrows : 2 * hj->cap;
		hj->state = xreallocarray(hj->state, cap, 1);
		memset(hj->state + hj->cap, STORE_NOROW, cap - hj->cap);
		hj->cap = cap;
	}
	if (nrows > hj->nrows)
		hj->nrows = nrows;
}

/* Row idx of hj is in state (or none, STORE_NOROW) from now on. */
static void
store_hjob_set(struct store_hjob *hj, uint32_t idx, int state)
{
	store_hjob_grow(hj, idx + 1);
	if (hj->state[idx] < STORE_NSTATES)
		hj->n[hj->state[idx]]--;
	hj->state[idx] = (uint8_t)state;
	if (state < STORE_NSTATES)
		hj->n[state]++;
}

/* hj changed: its counts are written at the commit, and it is the last
 * to leave memory. */
static void
store_hjob_touch(struct pogo_store *st, struct store_hjob *hj)
{
	hj->used = ++st->hjob_tick;
	if (!hj->dirty) {
		hj->dirty = true;
		st->ndirty++;
	}
}

/* A job's counts as statement s (S_HOST_COUNTS, S_HOST_TALLY) reads
 * them, in the open transaction; *marked: host_counts holds its mark. */
static int
store_counts_read(struct pogo_store *st, enum store_stmt i, uint64_t job,
    uint32_t *n, bool *marked)
{
	sqlite3_stmt *s = st->stmt[i];
	sqlite3_int64 v;
	int state, rc, r = 0;

	memset(n, 0, STORE_NSTATES * sizeof(*n));
	*marked = false;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		state = sqlite3_column_int(s, 0);
		v = sqlite3_column_int64(s, 1);
		if (state == -1)
			*marked = true;
		else if (state >= 0 && state < STORE_NSTATES && v > 0 &&
		    v <= UINT32_MAX)
			n[state] = (uint32_t)v;
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, store_sql[i]);
	sqlite3_reset(s);
	return r;
}

/* Mark job's counts in host_counts as lagging (hj in memory). */
static int
store_hjob_mark(struct pogo_store *st, struct store_hjob *hj)
{
	sqlite3_stmt *s = st->stmt[S_COUNT_SET];
	int r;

	if (hj->marked)
		return 0;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)hj->job);
	sqlite3_bind_int(s, 2, -1);
	sqlite3_bind_int64(s, 3, 1);
	if ((r = store_step(st, S_COUNT_SET)) != 0)
		return r;
	hj->marked = true;
	return 0;
}

/* Write the counts of hj that host_counts does not hold yet, and remove
 * its mark, in the open transaction (so a rollback undoes them with the
 * rows). */
static int
store_hjob_flush(struct pogo_store *st, struct store_hjob *hj)
{
	sqlite3_stmt *s = st->stmt[S_COUNT_SET];
	int i, r;

	if (!hj->dirty && !hj->marked)
		return 0;
	for (i = 0; i < STORE_NSTATES; i++) {
		if (hj->n[i] == hj->base[i])
			continue;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)hj->job);
		sqlite3_bind_int(s, 2, i);
		sqlite3_bind_int64(s, 3, hj->n[i]);
		if ((r = store_step(st, S_COUNT_SET)) != 0)
			return r;
		hj->base[i] = hj->n[i];
	}
	if (hj->marked) {
		sqlite3_bind_int64(
		    st->stmt[S_COUNT_UNMARK], 1, (sqlite3_int64)hj->job);
		if ((r = store_step(st, S_COUNT_UNMARK)) != 0)
			return r;
		hj->marked = false;
	}
	if (hj->dirty) {
		hj->dirty = false;
		st->ndirty--;
	}
	return 0;
}

/* At the close: every job's counts into host_counts, its mark gone. */
static void
store_hjobs_flush(struct pogo_store *st)
{
	size_t i;
	int r;

	if (st->nhjobs == 0 || store_begin(st) != 0)
		return;
	for (i = 0; i < st->hjobs_cap; i++) {
		if (st->hjobs[i] != NULL &&
		    (r = store_hjob_flush(st, st->hjobs[i])) != 0) {
			log_error("store: host counts not written: %s",
			    sqlite3_errmsg(st->db));
			if (st->hosts_lost == 0)
				st->hosts_lost = r;
			return;
		}
	}
}

/*
 * hj leaves memory (its job ended, or others changed since): its counts
 * are written first, or the open transaction's commit fails.  Then it
 * leaves the table (linear probing: the rest of its run is put again).
 */
static void
store_hjob_evict(struct pogo_store *st, struct store_hjob *hj)
{
	struct store_hjob *o;
	size_t i, mask = st->hjobs_cap - 1;
	int r;

	if ((r = store_hjob_flush(st, hj)) != 0) {
		log_error("store: host counts of job %llu: not written",
		    (unsigned long long)hj->job);
		if (st->hosts_lost == 0)
			st->hosts_lost = r;
		if (hj->dirty)
			st->ndirty--;
	}
	for (i = store_hjob_hash(hj->job, st->hjobs_cap); st->hjobs[i] != hj;
	     i = (i + 1) & mask)
		;
	st->hjobs[i] = NULL;
	st->nhjobs--;
	for (i = (i + 1) & mask; (o = st->hjobs[i]) != NULL;
	     i = (i + 1) & mask) {
		st->hjobs[i] = NULL;
		st->nhjobs--;
		store_hjob_put(st, o);
	}
	store_hjob_free(hj);
	st->stats.host_jobs_evicted++;
}

/* Memory of the jobs kept (store_hjobs_trim). */
static size_t
store_hjobs_bytes(const struct pogo_store *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->hjobs_cap; i++)
		if (st->hjobs[i] != NULL)
			n += sizeof(*st->hjobs[i]) + st->hjobs[i]->cap;
	return n;
}

/* Keep at most st->hjobs_budget bytes of jobs but keep: the others go,
 * the one changed least recently first. */
static void
store_hjobs_trim(struct pogo_store *st, const struct store_hjob *keep)
{
	struct store_hjob *old;
	size_t i;

	while (st->nhjobs > 1 && store_hjobs_bytes(st) > st->hjobs_budget) {
		old = NULL;
		for (i = 0; i < st->hjobs_cap; i++)
			if (st->hjobs[i] != NULL && st->hjobs[i] != keep &&
			    (old == NULL || st->hjobs[i]->used < old->used))
				old = st->hjobs[i];
		if (old == NULL)
			return;
		store_hjob_evict(st, old);
	}
}

/*
 * A job's counted hosts in *hjp, to change them: loaded if need be from
 * its rows (those of the open transaction included), with the states
 * still queued for them on top, and host_counts as the base.  *hjp is
 * NULL for a job without host rows, which is not kept.
 */
static int
store_hjob_get(struct pogo_store *st, uint64_t job, struct store_hjob **hjp)
{
	sqlite3_stmt *s = st->stmt[S_HOST_STATES];
	struct store_hjob *hj;
	sqlite3_int64 idx;
	size_t i;
	int rc, r, state;

	if ((*hjp = store_hjob_find(st, job)) != NULL)
		return 0;
	hj = xcalloc(1, sizeof(*hj));
	hj->job = job;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		idx = sqlite3_column_int64(s, 0);
		state = sqlite3_column_int(s, 1);
		if (idx < 0 || idx >= UINT32_MAX)
			continue;
		store_hjob_set(hj, (uint32_t)idx,
		    state >= 0 && state < STORE_NSTATES ? state
		                                        : STORE_NSTATES);
	}
	sqlite3_reset(s);
	r = rc != SQLITE_DONE
	    ? store_err(st->db, rc, store_sql[S_HOST_STATES])
	    : store_counts_read(st, S_HOST_COUNTS, job, hj->base, &hj->marked);
	if (r == 0 && hj->nrows > 0)
		r = store_hjob_mark(st, hj);
	if (r != 0 || hj->nrows == 0) {
		store_hjob_free(hj);
		return r;
	}
	for (i = 0; i < st->nhrows; i++)
		if (st->hrows[i].job == job && st->hrows[i].h.idx < hj->nrows &&
		    hj->state[st->hrows[i].h.idx] != STORE_NOROW)
			store_hjob_set(
			    hj, st->hrows[i].h.idx, st->hrows[i].h.state);
	hj->used = ++st->hjob_tick;
	if (memcmp(hj->n, hj->base, sizeof(hj->n)) != 0) {
		hj->dirty = true;
		st->ndirty++;
	}
	store_hjob_put(st, hj);
	st->stats.host_jobs_loaded++;
	store_hjobs_trim(st, hj);
	*hjp = hj;
	return 0;
}

/* Rows first .. first + n - 1 of job were inserted, `waiting` (0). */
static void
store_host_rows_added(
    struct pogo_store *st, uint64_t job, uint32_t first, size_t n)
{
	struct store_hjob *hj;
	size_t i;
	int r;

	if (n == 0)
		return;
	if ((hj = store_hjob_find(st, job)) == NULL && first == 0) {
		/* A new job's hosts: counted from here, never read. */
		hj = xcalloc(1, sizeof(*hj));
		hj->job = job;
		if ((r = store_hjob_mark(st, hj)) != 0) {
			store_hjob_free(hj);
			log_error("store: hosts of job %llu: not counted",
			    (unsigned long long)job);
			if (st->hosts_lost == 0)
				st->hosts_lost = r;
			return;
		}
		store_hjob_put(st, hj);
		store_hjobs_trim(st, hj);
	} else if (hj == NULL) {
		/* Its rows, read now, hold the new ones. */
		if ((r = store_hjob_get(st, job, &hj)) != 0 || hj == NULL) {
			log_error("store: hosts of job %llu: not counted",
			    (unsigned long long)job);
			if (st->hosts_lost == 0)
				st->hosts_lost = r != 0 ? r : POGO_ERR_STORE;
			return;
		}
		store_hjob_touch(st, hj);
		return;
	}
	for (i = 0; i < n; i++)
		store_hjob_set(hj, (uint32_t)(first + i), 0);
	store_hjob_touch(st, hj);
}

/*
 * Write every queued host state into the open transaction (each host's
 * row once) and empty the queue.  A row was checked to exist when it was
 * queued, so any failure here is the database's: the caller fails the
 * transaction.
 */
static int
store_hosts_write(struct pogo_store *st)
{
	sqlite3_stmt *s = st->stmt[S_HOST_SET];
	struct store_hostrow *w;
	size_t i;
	int r = 0;

	for (i = 0; i < st->nhrows; i++) {
		w = &st->hrows[i];
		st->hslots[w->slot] = 0;
		if (r != 0)
			continue;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)w->job);
		sqlite3_bind_int64(s, 2, w->h.idx);
		sqlite3_bind_int(s, 3, w->h.state);
		store_bind_str(s, 4, store_hostrow_str(w, w->message));
		store_bind_opt(s, 5, w->h.exitstatus);
		sqlite3_bind_int64(s, 6, w->h.runs);
		store_bind_time(s, 7, w->h.start_time);
		store_bind_time(s, 8, w->h.finish_time);
		store_bind_str(s, 9, store_hostrow_str(w, w->task_id));
		store_bind_str(s, 10, store_hostrow_str(w, w->worker));
		store_bind_str(s, 11, store_hostrow_str(w, w->instance));
		if ((r = store_step(st, S_HOST_SET)) == 0 &&
		    sqlite3_changes(st->db) == 1)
			st->stats.host_writes++;
		else if (r == 0) {
			log_error("store: host %u of job %llu is gone",
			    w->h.idx, (unsigned long long)w->job);
			r = POGO_ERR_STORE;
		}
	}
	st->nhrows = 0;
	return r;
}

/* Before a read of host rows: the queued states go in first, so the read
 * sees them; if that fails, so does the transaction's commit.  Only in
 * the open transaction of a store that works: rows queued for one that
 * failed are dropped, never written in autocommit by a later read. */
static void
store_hosts_sync(struct pogo_store *st)
{
	int r;

	if (st->nhrows > 0 && st->in_txn && st->broken == 0 &&
	    (r = store_hosts_write(st)) != 0 && st->hosts_lost == 0)
		st->hosts_lost = r;
}

/* A failed transaction: its queued rows go, and so do the per-job host
 * counts, which it may have raised (read again from the database). */
static void
store_hosts_drop(struct pogo_store *st)
{
	size_t i;

	for (i = 0; i < st->nhrows; i++)
		st->hslots[st->hrows[i].slot] = 0;
	st->nhrows = 0;
	store_hjobs_drop(st);
}

/* Commit the open transaction; the waiters so far become ready. */
static int
store_commit(struct pogo_store *st)
{
	uint64_t t0, dt;
	bool rows;
	int r = 0;

	if (st->in_txn) {
		t0 = uv_hrtime();
		r = st->hosts_lost;
		st->hosts_lost = 0;
		rows = r != 0 || (r = store_hosts_write(st)) != 0;
		if (rows || (r = st->fail_commits ? POGO_ERR_STORE : 0) != 0 ||
		    (r = store_step(st, S_COMMIT)) != 0) {
			log_error("store: commit failed: %s",
			    rows ? "a host row could not be written"
			        : st->fail_commits ? "refused for a test"
			                           : sqlite3_errmsg(st->db));
			r = POGO_ERR_STORE;
			store_hosts_drop(st);
			(void)store_step(st, S_ROLLBACK);
			st->in_txn = false;
			/*
			 * opts.broken, once, from the loop as a waiter, queued
			 * without flushing output: nothing is written after
			 * the failure, not even from here.
			 */
			if (st->broken == 0 && st->broken_cb != NULL)
				store_wait(st, st->broken_cb, st->broken_arg);
			st->broken = r;
		}
		dt = uv_hrtime() - t0;
		st->in_txn = false;
		st->stats.commits++;
		st->stats.changes += st->nchanges;
		st->stats.commit_ns_total += dt;
		if (dt > st->stats.commit_ns_max)
			st->stats.commit_ns_max = dt;
		st->nchanges = 0;
	}
	waitq_move(&st->ready, &st->waiting, r != 0 ? r : st->broken);
	return r;
}

/* Count n written rows; a full transaction is committed at once. */
static int
store_changed_n(struct pogo_store *st, size_t n)
{
	st->nchanges += (uint32_t)n;
	if (st->nchanges >= POGO_STORE_MAX_BATCH)
		return store_commit(st);
	return 0;
}

static int
store_changed(struct pogo_store *st)
{
	return store_changed_n(st, 1);
}

static char *
store_col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *p = sqlite3_column_text(s, i);

	return p != NULL ? xstrdup((const char *)p) : NULL;
}

static int64_t
store_col_opt(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int64(s, i);
}

/* Write every buffered output record into the open transaction. */
static int
store_output_flush(struct pogo_store *st)
{
	sqlite3_stmt *s = st->stmt[S_OUT_INSERT];
	struct store_out *b;
	size_t i, nbad = 0;
	int r = 0;

	if (st->nout == 0)
		return 0;
	uv_timer_stop(&st->out_timer);
	if ((r = store_begin(st)) != 0)
		goto out;
	/* A record the database refuses (an unknown job or host: foreign
	 * keys are beyond OR IGNORE) is dropped alone. */
	for (i = 0; i < st->nout; i++) {
		b = &st->out[i];
		sqlite3_bind_int64(s, 1, (sqlite3_int64)b->job);
		sqlite3_bind_int64(s, 2, b->o.host);
		sqlite3_bind_int64(s, 3, b->o.run);
		sqlite3_bind_int64(s, 4, b->o.seq);
		sqlite3_bind_double(s, 5, b->o.ts);
		sqlite3_bind_int(s, 6, (int)b->o.type);
		sqlite3_bind_blob(s, 7, b->data != NULL ? b->data : "",
		    (int)b->o.len, SQLITE_STATIC);
		sqlite3_bind_int(s, 8, b->o.eol);
		if (store_step(st, S_OUT_INSERT) != 0 && nbad++ == 0 &&
		    (st->drop_logged == 0 ||
		        uv_now(st->loop) - st->drop_logged >= 60000)) {
			st->drop_logged = uv_now(st->loop);
			log_warn("store: output record of job %llu host %u"
			         " run %u refused: %s (more are counted, not"
			         " logged, for a minute)",
			    (unsigned long long)b->job, b->o.host, b->o.run,
			    sqlite3_errmsg(st->db));
		}
	}
	st->stats.output_dropped += nbad;
	r = store_changed_n(st, st->nout - nbad);
out:
	for (i = 0; i < st->nout; i++)
		free(st->out[i].data);
	st->nout = 0;
	st->outbytes = 0;
	return r;
}

static void
store_out_timer_cb(uv_timer_t *h)
{
	struct pogo_store *st = h->data;

	(void)store_output_flush(st);
}

/* The end of a loop turn: commit, then call the committed waiters. */
static void
store_check_cb(uv_check_t *h)
{
	struct pogo_store *st = h->data;

	store_commit_point(st);
}

static void
store_commit_point(struct pogo_store *st)
{
	struct store_waitq batch;
	struct store_waiter *w;

	(void)store_commit(st);
	/* Call only the waiters ready now; those they add wait a turn. */
	batch = st->ready;
	if (batch.head == NULL)
		batch.tail = &batch.head;
	waitq_init(&st->ready);
	while ((w = batch.head) != NULL) {
		batch.head = w->next;
		w->cb(st, w->status, w->arg);
		free(w);
	}
	if (!st->in_txn && st->ready.head == NULL && st->waiting.head == NULL &&
	    st->armed) {
		uv_idle_stop(&st->idle);
		uv_check_stop(&st->check);
		st->armed = false;
	}
}

/* Queue cb for the end of the open transaction (or the next turn). */
static void
store_wait(struct pogo_store *st, pogo_store_commit_cb cb, void *arg)
{
	struct store_waiter *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->arg = arg;
	waitq_push(&st->waiting, w);
	store_arm(st);
}

void
pogo_store_after_commit(
    struct pogo_store *st, pogo_store_commit_cb cb, void *arg)
{
	/* Output queued so far is part of "every change so far". */
	if (st->nout > 0 && !st->closing && st->broken == 0)
		(void)store_output_flush(st);
	store_wait(st, cb, arg);
}

/* The checkpoint connection's commits: the WAL's size after each. */
static int
store_ck_wal_hook(void *arg, sqlite3 *db, const char *name, int npages)
{
	((struct pogo_store *)arg)->ck_npages = npages;
	return SQLITE_OK;
}

/*
 * The checkpoint, in the thread pool on its own connection.  SQLite
 * starts the WAL again from its head only in a write transaction whose
 * snapshot began when every frame was checkpointed; the loop's
 * transactions seldom begin at such a moment under a steady load (a
 * commit lands while the checkpoint runs), and the WAL then grows without
 * bound.  So once a checkpoint has copied every frame, this connection
 * commits one write of its own at once (the counters row as it is): that
 * restarts the WAL.  The loop's writer may wait for that one-page commit
 * (no fsync, synchronous=NORMAL), never for the copy.  A few rounds, in
 * case a loop commit came in between.
 */
static void
store_ckpt_work(uv_work_t *req)
{
	static const char restart_sql[] =
	    "UPDATE counters SET value = value WHERE name = 'next_job'";
	struct pogo_store *st = req->data;
	int i, nlog = 0, nckpt = 0;

	st->ckpt_restarted = false;
	for (i = 0; i < 3; i++) {
		st->ckpt_rc = sqlite3_wal_checkpoint_v2(
		    st->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
		if (st->ckpt_rc != SQLITE_OK || nlog == 0 || nckpt < nlog)
			return;
		if (sqlite3_exec(st->ckdb, "BEGIN IMMEDIATE", NULL, NULL,
		        NULL) != SQLITE_OK)
			return;
		st->ck_npages = -1;
		if (sqlite3_exec(st->ckdb, restart_sql, NULL, NULL, NULL) !=
		        SQLITE_OK ||
		    sqlite3_exec(st->ckdb, "COMMIT", NULL, NULL, NULL) !=
		        SQLITE_OK) {
			(void)sqlite3_exec(
			    st->ckdb, "ROLLBACK", NULL, NULL, NULL);
			return;
		}
		/* Restarted: the WAL holds only the frame just written. */
		if (st->ck_npages >= 0 && st->ck_npages < nlog) {
			st->ckpt_restarted = true;
			return;
		}
	}
}

static void store_ckpt_done(uv_work_t *req, int status);

static void
store_ckpt_queue(struct pogo_store *st)
{
	st->ckpt_req.data = st;
	st->ckpt_commits = st->stats.commits;
	if (uv_queue_work(
	        st->loop, &st->ckpt_req, store_ckpt_work, store_ckpt_done) == 0)
		st->ckpt_busy = true;
}

static void
store_ckpt_done(uv_work_t *req, int status)
{
	struct pogo_store *st = req->data;

	st->ckpt_busy = false;
	if (status == 0 && st->ckpt_rc == SQLITE_OK)
		st->stats.checkpoints++;
	else if (status == 0)
		log_warn("store: checkpoint: %s", sqlite3_errstr(st->ckpt_rc));
	if (st->ckpt_restarted) {
		st->stats.wal_restarts++;
		st->ckpt_chase = false;
		st->ckpt_mark = 0;
		st->wal_last = 0;
	}
	if (st->closing) {
		store_close_finish(st);
		return;
	}
	if (st->ckpt_restarted)
		return;
	/* SQLite restarts the WAL from its head only in a transaction that
	 * begins when every frame is checkpointed; frames committed while
	 * the checkpoint ran keep it from that, so chase them with small
	 * checkpoints, one after each commit, until a restart is seen. */
	st->ckpt_chase = true;
	if (st->stats.commits != st->ckpt_commits)
		store_ckpt_queue(st);
}

/* Called by SQLite after each commit with the WAL's size in pages. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int npages)
{
	struct pogo_store *st = arg;

	if ((unsigned)npages < st->wal_last) {
		st->stats.wal_restarts++;
		st->stats.wal_pages += (unsigned)npages;
		st->ckpt_chase = false;
	} else
		st->stats.wal_pages += (unsigned)npages - st->wal_last;
	st->wal_last = (unsigned)npages;
	if ((unsigned)npages > st->stats.wal_pages_max)
		st->stats.wal_pages_max = (unsigned)npages;
	/* The WAL only shrinks when a writer restarts it after a complete
	 * checkpoint; until then count the pages added since the last. */
	if ((unsigned)npages < st->ckpt_mark)
		st->ckpt_mark = 0;
	if (st->ckdb == NULL || st->ckpt_busy || st->closing ||
	    (!st->ckpt_chase &&
	        (unsigned)npages - st->ckpt_mark < st->ckpt_pages))
		return SQLITE_OK;
	st->ckpt_mark = (unsigned)npages;
	store_ckpt_queue(st);
	return SQLITE_OK;
}

/* Bring the schema to POGO_STORE_SCHEMA_VERSION, or refuse a newer one. */
static int
store_migrate(struct pogo_store *st, const char *path, char **cause)
{
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	int v, v0, rc, r = POGO_ERR_STORE;

	if ((rc = sqlite3_prepare_v2(
	         st->db, "PRAGMA user_version", -1, &s, NULL)) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		xasprintf(cause, "%s: %s", path, sqlite3_errmsg(st->db));
		goto out;
	}
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (v > POGO_STORE_SCHEMA_VERSION) {
		xasprintf(cause,
		    "%s: schema version %d is newer than this pogo's (%d);"
		    " use a newer pogo",
		    path, v, POGO_STORE_SCHEMA_VERSION);
		goto out;
	}
	for (v0 = v; v < POGO_STORE_SCHEMA_VERSION; v++) {
		free(sql);
		xasprintf(&sql,
		    "BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
		    store_migrations[v], v + 1);
		if (store_exec(st->db, sql) != 0) {
			xasprintf(cause, "%s: migration to schema %d: %s", path,
			    v + 1, sqlite3_errmsg(st->db));
			(void)store_exec(st->db, "ROLLBACK");
			goto out;
		}
	}
	/* A new database (version 0) is created, not migrated. */
	if (v0 > 0 && v0 < POGO_STORE_SCHEMA_VERSION)
		log_info("store: %s: schema migrated from version %d to %d",
		    path, v0, POGO_STORE_SCHEMA_VERSION);
	r = 0;
out:
	free(sql);
	sqlite3_finalize(s);
	return r;
}

static int
store_load_counters(struct pogo_store *st)
{
	sqlite3_stmt *s = st->stmt[S_COUNTERS];
	const char *name;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(s, 0);
		if (name != NULL && strcmp(name, "next_job") == 0)
			st->next_job = (uint64_t)sqlite3_column_int64(s, 1);
		else if (name != NULL && strcmp(name, "next_task") == 0)
			st->next_task = (uint64_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_err(st->db, rc, "counters");
	return 0;
}

/* Open the connections, set the pragmas, migrate, prepare. */
static int
store_open_db(struct pogo_store *st, char **cause)
{
	char *path = NULL;
	const char *name;
	sqlite3_stmt *s = NULL;
	int i, fd, rc, r = POGO_ERR_STORE;
	int flags =
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (st->dir != NULL) {
		xasprintf(&path, "%s/pogo.db", st->dir);
		/* Job records hold commands and scripts: the database is
		 * created 0600, and SQLite gives its WAL the same mode.  An
		 * empty file is a database of version 0. */
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) ==
		    -1) {
			r = POGO_ERR_ERRNO(errno);
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		close(fd);
	}
	name = path != NULL ? path : ":memory:";
	if ((rc = sqlite3_open_v2(name, &st->db, flags, NULL)) != SQLITE_OK) {
		xasprintf(cause, "%s: %s", name,
		    st->db != NULL ? sqlite3_errmsg(st->db)
		                   : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 1000);
	if (path != NULL) {
		/* journal_mode answers with the mode it got. */
		if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
		        &s, NULL) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW ||
		    sqlite3_column_text(s, 0) == NULL ||
		    strcmp((const char *)sqlite3_column_text(s, 0), "wal") !=
		        0) {
			xasprintf(cause, "%s: cannot use WAL mode: %s", name,
			    sqlite3_errmsg(st->db));
			goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
		if (store_exec(st->db,
		        "PRAGMA synchronous = NORMAL;"
		        "PRAGMA wal_autocheckpoint = 0;"
		        "PRAGMA journal_size_limit = 67108864;") != 0) {
			xasprintf(
			    cause, "%s: %s", name, sqlite3_errmsg(st->db));
			goto out;
		}
	}
	if (store_exec(st->db, "PRAGMA foreign_keys = ON") != 0) {
		xasprintf(cause, "%s: %s", name, sqlite3_errmsg(st->db));
		goto out;
	}
	if ((r = store_migrate(st, name, cause)) != 0)
		goto out;
	/* The counts of jobs that a dispatcher had in memory when it
	 * stopped (marked): counted again from their rows. */
	if (store_exec(st->db,
	        "BEGIN IMMEDIATE;"
	        "DELETE FROM host_counts WHERE state >= 0 AND job IN"
	        " (SELECT job FROM host_counts WHERE state = -1);"
	        "INSERT INTO host_counts SELECT job, state, count(*)"
	        " FROM hosts WHERE job IN"
	        " (SELECT job FROM host_counts WHERE state = -1)"
	        " GROUP BY job, state;"
	        "DELETE FROM host_counts WHERE state = -1;"
	        "COMMIT;") != 0) {
		xasprintf(
		    cause, "%s: host counts: %s", name, sqlite3_errmsg(st->db));
		(void)store_exec(st->db, "ROLLBACK");
		r = POGO_ERR_STORE;
		goto out;
	}
	r = POGO_ERR_STORE;
	for (i = 0; i < S_NSTMT; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
		        NULL) != SQLITE_OK) {
			xasprintf(cause, "%s: %s: %s", name, store_sql[i],
			    sqlite3_errmsg(st->db));
			goto out;
		}
	}
	if (store_load_counters(st) != 0) {
		xasprintf(cause, "%s: %s", name, sqlite3_errmsg(st->db));
		goto out;
	}
	if (path != NULL) {
		if (sqlite3_open_v2(path, &st->ckdb,
		        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		        NULL) != SQLITE_OK) {
			xasprintf(
			    cause, "%s: %s", name, sqlite3_errmsg(st->ckdb));
			goto out;
		}
		/* Its one-page commits (store_ckpt_work) wait for the
		 * loop's transaction, never the other way round for long. */
		sqlite3_busy_timeout(st->ckdb, 5000);
		if (store_exec(st->ckdb,
		        "PRAGMA synchronous = NORMAL;"
		        "PRAGMA journal_size_limit = 67108864;") != 0) {
			xasprintf(
			    cause, "%s: %s", name, sqlite3_errmsg(st->ckdb));
			goto out;
		}
		sqlite3_wal_hook(st->ckdb, store_ck_wal_hook, st);
		sqlite3_wal_hook(st->db, store_wal_hook, st);
	}
	r = 0;
out:
	sqlite3_finalize(s);
	free(path);
	return r;
}

static void
store_release_db(struct pogo_store *st)
{
	int i;

	for (i = 0; i < S_NSTMT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	/* The checkpoint connection closes first, so the main one is the
	 * last: it checkpoints the WAL and removes it. */
	if (st->ckdb != NULL)
		sqlite3_close(st->ckdb);
	st->ckdb = NULL;
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		log_warn("store: close: %s", sqlite3_errmsg(st->db));
	st->db = NULL;
	if (st->lockfd != -1)
		close(st->lockfd);
	st->lockfd = -1;
}

/*
 * Once per process, before SQLite initialises: no memory statistics.
 * Debian builds SQLite with SQLITE_DEFAULT_MEMSTATUS=1, which takes a
 * global mutex and updates counters on every allocation and free (about
 * 240 allocations per SSH host of `pogo one`: 53,000 instructions per
 * host, test/bench/README.md); pogo never reads them
 * (sqlite3_memory_used(), sqlite3_status()).  A larger lookaside cannot
 * help: Debian builds it with SQLITE_OMIT_LOOKASIDE.
 */
static void
store_config_once(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
pogo_store_open(uv_loop_t *loop, const struct pogo_store_opts *opts,
    struct pogo_store **stp, char **cause)
{
	static uv_once_t once = UV_ONCE_INIT;
	struct pogo_store *st;
	int r;

	*stp = NULL;
	*cause = NULL;
	uv_once(&once, store_config_once);
	st = xcalloc(1, sizeof(*st));
	st->hjobs_budget = STORE_HJOBS_BUDGET;
	st->loop = loop;
	st->broken_cb = opts->broken;
	st->broken_arg = opts->broken_arg;
	st->lockfd = -1;
	st->next_task = 1;
	st->out_ms =
	    opts->output_interval_ms != 0 ? opts->output_interval_ms : 1000;
	st->ckpt_pages =
	    opts->checkpoint_pages != 0 ? opts->checkpoint_pages : 1000;
	waitq_init(&st->waiting);
	waitq_init(&st->ready);
	if (opts->state_dir != NULL) {
		st->dir = xstrdup(opts->state_dir);
		/* SPEC 6.1: one dispatcher per state directory. */
		if ((r = pogo_proc_dir_lock(
		         st->dir, "dispatcher.lock", &st->lockfd, cause)) != 0)
			goto fail;
	}
	if ((r = store_open_db(st, cause)) != 0)
		goto fail;
	st->out = xreallocarray(NULL, POGO_STORE_MAX_OUTPUT, sizeof(*st->out));
	uv_idle_init(loop, &st->idle);
	uv_check_init(loop, &st->check);
	uv_timer_init(loop, &st->out_timer);
	st->idle.data = st->check.data = st->out_timer.data = st;
	*stp = st;
	return 0;
fail:
	store_release_db(st);
	free(st->dir);
	free(st);
	return r;
}

static void
store_hostrows_free(struct pogo_store *st)
{
	size_t i;

	for (i = 0; i < st->hrows_cap; i++)
		free(st->hrows[i].buf);
	free(st->hrows);
	free(st->hslots);
	store_hjobs_drop(st);
}

static void
store_handle_closed(uv_handle_t *h)
{
	struct pogo_store *st = h->data;

	if (--st->nclose > 0)
		return;
	/* Waiters of the final commit, then the owner. */
	store_commit_point(st);
	if (st->close_cb != NULL)
		st->close_cb(st->close_arg);
	store_hostrows_free(st);
	free(st->out);
	free(st->dir);
	free(st);
}

/* The second half of close, once no checkpoint is in the pool. */
static void
store_close_finish(struct pogo_store *st)
{
	store_release_db(st);
	st->nclose = 3;
	uv_close((uv_handle_t *)&st->idle, store_handle_closed);
	uv_close((uv_handle_t *)&st->check, store_handle_closed);
	uv_close((uv_handle_t *)&st->out_timer, store_handle_closed);
}

void
pogo_store_close(struct pogo_store *st, void (*cb)(void *arg), void *arg)
{
	(void)store_output_flush(st);
	store_hjobs_flush(st);
	(void)store_commit(st);
	st->closing = true;
	st->close_cb = cb;
	st->close_arg = arg;
	uv_idle_stop(&st->idle);
	uv_check_stop(&st->check);
	uv_timer_stop(&st->out_timer);
	if (!st->ckpt_busy)
		store_close_finish(st);
}

static int
store_counter_next(
    struct pogo_store *st, const char *name, uint64_t *cur, uint64_t *np)
{
	sqlite3_stmt *s = st->stmt[S_COUNTER_SET];
	int r;

	if ((r = store_begin(st)) != 0)
		return r;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)(*cur + 1));
	if ((r = store_step(st, S_COUNTER_SET)) != 0)
		return r;
	*np = (*cur)++;
	return store_changed(st);
}

int
pogo_store_next_job(struct pogo_store *st, uint64_t *np)
{
	return store_counter_next(st, "next_job", &st->next_job, np);
}

int
pogo_store_next_task(struct pogo_store *st, uint64_t *np)
{
	return store_counter_next(st, "next_task", &st->next_task, np);
}

/* Does job have a host row idx?  From its counted hosts. */
static int
store_host_exists(
    struct pogo_store *st, uint64_t job, uint32_t idx, struct store_hjob **hjp)
{
	int r;

	if ((r = store_hjob_get(st, job, hjp)) != 0)
		return r;
	return *hjp != NULL && idx < (*hjp)->nrows &&
	        (*hjp)->state[idx] != STORE_NOROW
	    ? 0
	    : POGO_ERR_NOTFOUND;
}

/* Insert hosts first.. of a job, without counting them as changes: the
 * caller counts after the call, so one call never spans two commits. */
static int
store_hosts_insert(struct pogo_store *st, uint64_t job, uint32_t first,
    const char *const *hosts, size_t nhosts)
{
	sqlite3_stmt *s = st->stmt[S_HOST_INSERT];
	size_t i;
	int r;

	for (i = 0; i < nhosts; i++) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)(first + i));
		store_bind_str(s, 3, hosts[i]);
		if ((r = store_step(st, S_HOST_INSERT)) != 0)
			return r;
	}
	return 0;
}

int
pogo_store_job_insert(struct pogo_store *st, const struct pogo_store_job *j,
    const char *const *hosts, size_t nhosts)
{
	sqlite3_stmt *s = st->stmt[S_JOB_INSERT];
	size_t i;
	int r;

	if ((r = store_call_begin(st)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)j->job);
	sqlite3_bind_int(s, 2, j->state);
	store_bind_str(s, 3, j->state_message);
	store_bind_str(s, 4, j->user);
	store_bind_str(s, 5, j->run_as);
	store_bind_str(s, 6, j->ssh_user);
	store_bind_opt(s, 7, j->ssh_port);
	store_bind_opt(s, 8, j->connect_timeout);
	store_bind_str(s, 9, j->command);
	store_bind_str(s, 10, j->task_name != NULL ? j->task_name : "ssh");
	store_bind_str(s, 11, j->config);
	store_bind_str(s, 12, j->namespace);
	sqlite3_bind_int64(s, 13, j->timeout);
	sqlite3_bind_int64(s, 14, j->job_timeout);
	sqlite3_bind_int64(s, 15, j->retry);
	sqlite3_bind_int(s, 16, j->prehook);
	sqlite3_bind_int(s, 17, j->posthook);
	sqlite3_bind_int(s, 18, j->lock);
	store_bind_str(s, 19, j->concurrent);
	store_bind_str(s, 20, j->exe_name);
	store_bind_str(s, 21, j->exe_data);
	store_bind_str(s, 22, j->requesthost);
	store_bind_str(s, 23, j->invoked_as);
	store_bind_str(s, 24, j->client);
	store_bind_str(s, 25, j->email);
	store_bind_str(s, 26, j->im_handle);
	store_bind_str(s, 27, j->message);
	sqlite3_bind_double(s, 28, j->start_time);
	store_bind_time(s, 29, j->end_time);
	sqlite3_bind_int64(s, 30,
	    (sqlite3_int64)(j->host_count != 0 ? j->host_count : nhosts));
	sqlite3_bind_int(s, 31, j->has_password);
	sqlite3_bind_int(s, 32, j->has_key);
	store_bind_str(s, 33, j->key_id);
	if ((r = store_step(st, S_JOB_INSERT)) != 0)
		goto out;
	s = st->stmt[S_RANGE_INSERT];
	for (i = 0; i < j->nrange; i++) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)j->job);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		store_bind_str(s, 3, j->range[i]);
		if ((r = store_step(st, S_RANGE_INSERT)) != 0)
			goto out;
	}
	r = store_hosts_insert(st, j->job, 0, hosts, nhosts);
out:
	if ((r = store_call_end(st, r)) != 0)
		return r;
	store_host_rows_added(st, j->job, 0, nhosts);
	return store_changed_n(st, 1 + j->nrange + nhosts);
}

int
pogo_store_job_add_hosts(struct pogo_store *st, uint64_t job, uint32_t first,
    const char *const *hosts, size_t nhosts)
{
	int r;

	if ((r = store_call_begin(st)) != 0)
		return r;
	r = store_hosts_insert(st, job, first, hosts, nhosts);
	if ((r = store_call_end(st, r)) != 0)
		return r;
	store_host_rows_added(st, job, first, nhosts);
	return store_changed_n(st, nhosts);
}

int
pogo_store_job_ref_set(
    struct pogo_store *st, uint64_t job, const struct pogo_store_ref *ref)
{
	sqlite3_stmt *s = st->stmt[S_REF_SET];
	char *text = NULL;
	size_t i, len = 0, n;
	int r;

	/* The hosts, each ended by a newline (names never hold one). */
	for (i = 0; ref->failure == NULL && i < ref->nhosts; i++) {
		if (strchr(ref->hosts[i], '\n') != NULL)
			return UV_EINVAL;
		len += strlen(ref->hosts[i]) + 1;
	}
	if (ref->failure == NULL) {
		text = xmalloc(len + 1);
		for (i = 0, len = 0; i < ref->nhosts; i++) {
			n = strlen(ref->hosts[i]);
			memcpy(text + len, ref->hosts[i], n);
			text[len + n] = '\n';
			len += n + 1;
		}
		text[len] = '\0';
	}
	if ((r = store_begin(st)) != 0) {
		free(text);
		return r;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, ref->idx);
	store_bind_str(s, 3, ref->ref);
	if (text == NULL)
		sqlite3_bind_null(s, 4);
	else
		sqlite3_bind_text64(
		    s, 4, text, len, SQLITE_STATIC, SQLITE_UTF8);
	store_bind_str(s, 5, ref->failure);
	r = store_step(st, S_REF_SET);
	free(text);
	if (r != 0)
		return r;
	return store_changed(st);
}

int
pogo_store_job_state(struct pogo_store *st, uint64_t job, int state,
    const char *message, double end_time)
{
	sqlite3_stmt *s = st->stmt[S_JOB_STATE];
	struct store_hjob *hj;
	int r;

	if ((r = store_begin(st)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int(s, 2, state);
	store_bind_str(s, 3, message);
	store_bind_time(s, 4, end_time);
	if ((r = store_step(st, S_JOB_STATE)) != 0)
		return r;
	if (sqlite3_changes(st->db) == 0)
		return POGO_ERR_NOTFOUND;
	/* An ended job's hosts seldom change again: counted by host_counts
	 * from now on (read again from the rows if one does). */
	if (end_time > 0 && (hj = store_hjob_find(st, job)) != NULL)
		store_hjob_evict(st, hj);
	return store_changed(st);
}

int
pogo_store_job_alter(
    struct pogo_store *st, uint64_t job, const char *field, const char *value)
{
	enum { ALTER_UINT, ALTER_BOOL, ALTER_TEXT };
	static const struct {
		const char *name;
		int kind;
	} fields[] = { { "timeout", ALTER_UINT }, { "retry", ALTER_UINT },
		{ "message", ALTER_TEXT }, { "command", ALTER_TEXT },
		{ "prehook", ALTER_BOOL }, { "posthook", ALTER_BOOL },
		{ "lock", ALTER_BOOL } };
	sqlite3_stmt *s = NULL;
	char *sql = NULL;
	long long v = 0;
	size_t i;
	int r;

	for (i = 0; i < POGO_NELEM(fields); i++) {
		if (strcmp(field, fields[i].name) == 0)
			break;
	}
	if (i == POGO_NELEM(fields))
		return POGO_ERR_NOTFOUND;
	/* Typed columns get typed values, so a boolean reads back true. */
	if (fields[i].kind != ALTER_TEXT && value == NULL)
		return UV_EINVAL;
	if (fields[i].kind == ALTER_UINT &&
	    pogo_strtonum(value, 0, UINT_MAX, &v) != 0)
		return UV_EINVAL;
	if (fields[i].kind == ALTER_BOOL) {
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
			v = 1;
		else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
			v = 0;
		else
			return UV_EINVAL;
	}
	if (fields[i].kind == ALTER_TEXT && strcmp(field, "command") == 0 &&
	    value == NULL)
		return UV_EINVAL;
	if ((r = store_begin(st)) != 0)
		return r;
	/* The column name comes from the table above, never from input. */
	xasprintf(
	    &sql, "UPDATE jobs SET %s = ?2 WHERE job = ?1", fields[i].name);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		r = store_err(st->db, SQLITE_ERROR, sql);
		goto out;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	if (fields[i].kind == ALTER_TEXT)
		store_bind_str(s, 2, value);
	else
		sqlite3_bind_int64(s, 2, v);
	if (sqlite3_step(s) != SQLITE_DONE) {
		r = store_err(st->db, SQLITE_ERROR, sql);
		goto out;
	}
	if (sqlite3_changes(st->db) == 0) {
		r = POGO_ERR_NOTFOUND;
		goto out;
	}
	r = store_changed(st);
out:
	sqlite3_finalize(s);
	free(sql);
	return r;
}

static size_t
store_host_hash(uint64_t job, uint32_t idx)
{
	uint64_t x = (job * 0x9e3779b97f4a7c15ULL) ^ idx;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (size_t)(x & (STORE_HOST_SLOTS - 1));
}

/* Append v to w's buffer: its offset, or -1 for NULL. */
static int32_t
store_hostrow_put(struct store_hostrow *w, const char *v)
{
	size_t n;
	int32_t off;

	if (v == NULL)
		return -1;
	n = strlen(v) + 1;
	if (w->len + n > w->cap) {
		w->cap = w->len + n > 2 * w->cap ? w->len + n : 2 * w->cap;
		w->buf = xreallocarray(w->buf, w->cap, 1);
	}
	memcpy(w->buf + w->len, v, n);
	off = (int32_t)w->len;
	w->len += n;
	return off;
}

/* A new queued row for (job, idx), in free slot slot. */
static struct store_hostrow *
store_hostrow_new(struct pogo_store *st, uint64_t job, size_t slot)
{
	struct store_hostrow *w;
	size_t cap;

	if (st->nhrows == st->hrows_cap) {
		cap = st->hrows_cap == 0 ? 64 : 2 * st->hrows_cap;
		st->hrows = xreallocarray(st->hrows, cap, sizeof(*st->hrows));
		memset(st->hrows + st->nhrows, 0,
		    (cap - st->nhrows) * sizeof(*st->hrows));
		st->hrows_cap = cap;
	}
	w = &st->hrows[st->nhrows++];
	st->hslots[slot] = (uint32_t)st->nhrows;
	w->job = job;
	w->slot = (uint32_t)slot;
	return w;
}

int
pogo_store_host_set(
    struct pogo_store *st, uint64_t job, const struct pogo_store_host *h)
{
	struct store_hjob *hj;
	struct store_hostrow *w;
	size_t slot, i;
	int r;

	if (h->state < 0 || h->state >= STORE_NSTATES)
		return UV_EINVAL;
	if ((r = store_begin(st)) != 0)
		return r;
	if ((r = store_host_exists(st, job, h->idx, &hj)) != 0) {
		/*
		 * Its counts could not be read or marked: the change is not
		 * stored, so the transaction must not commit either (no
		 * report of it acknowledged, SPEC 6.3).  No such host is the
		 * caller's error only.
		 */
		if (r != POGO_ERR_NOTFOUND && st->hosts_lost == 0)
			st->hosts_lost = r;
		return r;
	}
	store_hjob_set(hj, h->idx, h->state);
	store_hjob_touch(st, hj);
	if (st->hslots == NULL)
		st->hslots = xcalloc(STORE_HOST_SLOTS, sizeof(*st->hslots));
	/* Linear probing: fewer rows than half the slots (one per change). */
	slot = store_host_hash(job, h->idx);
	while ((i = st->hslots[slot]) != 0) {
		w = &st->hrows[i - 1];
		if (w->job == job && w->h.idx == h->idx)
			break;
		slot = (slot + 1) & (STORE_HOST_SLOTS - 1);
	}
	if (i == 0)
		w = store_hostrow_new(st, job, slot);
	w->h = *h;
	w->h.name = w->h.message = w->h.task_id = w->h.worker =
	    w->h.worker_instance = NULL;
	w->len = 0;
	w->message = store_hostrow_put(w, h->message);
	w->task_id = store_hostrow_put(w, h->task_id);
	w->worker = store_hostrow_put(w, h->worker);
	w->instance = store_hostrow_put(w, h->worker_instance);
	return store_changed(st);
}

int
pogo_store_log_append(
    struct pogo_store *st, uint64_t job, const struct pogo_store_entry *e)
{
	sqlite3_stmt *s = st->stmt[S_LOG_INSERT];
	int r;

	if ((r = store_begin(st)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, e->index);
	sqlite3_bind_double(s, 3, e->time);
	store_bind_opt(s, 4, e->host);
	sqlite3_bind_int(s, 5, e->state);
	store_bind_str(s, 6, e->message);
	store_bind_opt(s, 7, e->exitstatus);
	sqlite3_bind_int64(s, 8, e->run);
	sqlite3_bind_int(s, 9, e->output);
	if ((r = store_step(st, S_LOG_INSERT)) != 0)
		return r;
	return store_changed(st);
}

int
pogo_store_output_append(
    struct pogo_store *st, uint64_t job, const struct pogo_store_output *o)
{
	struct store_out *b;
	int r;

	if (st->broken != 0)
		return st->broken;
	if (st->closing)
		return UV_ECANCELED;
	if (o->len > INT32_MAX)
		return POGO_ERR_LIMIT;
	if (st->nout == POGO_STORE_MAX_OUTPUT || st->outbytes >= 1 << 20) {
		if ((r = store_output_flush(st)) != 0)
			return r;
	}
	if (st->nout == 0)
		uv_timer_start(
		    &st->out_timer, store_out_timer_cb, st->out_ms, 0);
	b = &st->out[st->nout++];
	b->job = job;
	b->o = *o;
	b->data = o->len > 0 ? xmalloc(o->len) : NULL;
	if (o->len > 0)
		memcpy(b->data, o->data, o->len);
	b->o.data = NULL;
	st->outbytes += o->len;
	return 0;
}

int
pogo_store_output_forget(struct pogo_store *st, uint64_t job, uint32_t host,
    uint32_t run, uint32_t from, uint32_t below)
{
	sqlite3_stmt *s;
	uint32_t seq;
	int r;

	if (st->broken != 0)
		return st->broken;
	if (st->closing)
		return UV_ECANCELED;
	/* Buffered records of the run go in first, then out with the rest. */
	if (st->nout > 0 && (r = store_output_flush(st)) != 0)
		return r;
	if ((r = store_begin(st)) != 0)
		return r;
	if (from < below && below - from <= STORE_FORGET_ONE) {
		/* Each record by its whole key: no temporary table. */
		s = st->stmt[S_OUT_FORGET_ONE];
		for (seq = from; seq < below; seq++) {
			sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
			sqlite3_bind_int64(s, 2, host);
			sqlite3_bind_int64(s, 3, run);
			sqlite3_bind_int64(s, 4, seq);
			if ((r = store_step(st, S_OUT_FORGET_ONE)) != 0)
				return r;
		}
		return store_changed(st);
	}
	s = st->stmt[S_OUT_FORGET];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, host);
	sqlite3_bind_int64(s, 3, run);
	sqlite3_bind_int64(s, 4, below);
	if ((r = store_step(st, S_OUT_FORGET)) != 0)
		return r;
	return store_changed(st);
}

int
pogo_store_setting_set(
    struct pogo_store *st, const char *name, const char *value)
{
	sqlite3_stmt *s = st->stmt[S_SETTING_SET];
	int r;

	if ((r = store_begin(st)) != 0)
		return r;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	if ((r = store_step(st, S_SETTING_SET)) != 0)
		return r;
	return store_changed(st);
}

int
pogo_store_setting_get(struct pogo_store *st, const char *name, char **valuep)
{
	sqlite3_stmt *s = st->stmt[S_SETTING_GET];
	int rc, r = 0;

	*valuep = NULL;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*valuep = store_col_str(s, 0);
	else if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, "setting");
	sqlite3_reset(s);
	return r;
}

void
pogo_store_job_free(struct pogo_store_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	free((void *)j->state_message);
	free((void *)j->user);
	free((void *)j->run_as);
	free((void *)j->ssh_user);
	free((void *)j->command);
	free((void *)j->task_name);
	free((void *)j->config);
	free((void *)j->namespace);
	free((void *)j->concurrent);
	free((void *)j->exe_name);
	free((void *)j->exe_data);
	free((void *)j->requesthost);
	free((void *)j->invoked_as);
	free((void *)j->client);
	free((void *)j->email);
	free((void *)j->im_handle);
	free((void *)j->message);
	free((void *)j->key_id);
	for (i = 0; i < j->nrange; i++)
		free((void *)j->range[i]);
	free(j->range);
	free(j);
}

/* A job record from the current row of s (STORE_JOB_COLUMNS order). */
static int
store_job_row(
    struct pogo_store *st, sqlite3_stmt *s, struct pogo_store_job **jp)
{
	struct pogo_store_job *j = xcalloc(1, sizeof(*j));
	sqlite3_stmt *rs = st->stmt[S_RANGES];
	int rc;

	j->job = (uint64_t)sqlite3_column_int64(s, 0);
	j->state = sqlite3_column_int(s, 1);
	j->state_message = store_col_str(s, 2);
	j->user = store_col_str(s, 3);
	j->run_as = store_col_str(s, 4);
	j->ssh_user = store_col_str(s, 5);
	j->ssh_port = (int)store_col_opt(s, 6);
	j->connect_timeout = (int)store_col_opt(s, 7);
	j->command = store_col_str(s, 8);
	j->task_name = store_col_str(s, 9);
	j->config = store_col_str(s, 10);
	j->namespace = store_col_str(s, 11);
	j->timeout = (unsigned)sqlite3_column_int64(s, 12);
	j->job_timeout = (unsigned)sqlite3_column_int64(s, 13);
	j->retry = (unsigned)sqlite3_column_int64(s, 14);
	j->prehook = sqlite3_column_int(s, 15) != 0;
	j->posthook = sqlite3_column_int(s, 16) != 0;
	j->lock = sqlite3_column_int(s, 17) != 0;
	j->concurrent = store_col_str(s, 18);
	j->exe_name = store_col_str(s, 19);
	j->exe_data = store_col_str(s, 20);
	j->requesthost = store_col_str(s, 21);
	j->invoked_as = store_col_str(s, 22);
	j->client = store_col_str(s, 23);
	j->email = store_col_str(s, 24);
	j->im_handle = store_col_str(s, 25);
	j->message = store_col_str(s, 26);
	j->start_time = sqlite3_column_double(s, 27);
	j->end_time = sqlite3_column_double(s, 28);
	j->host_count = (uint32_t)sqlite3_column_int64(s, 29);
	j->has_password = sqlite3_column_int(s, 30) != 0;
	j->has_key = sqlite3_column_int(s, 31) != 0;
	j->key_id = store_col_str(s, 32);
	sqlite3_bind_int64(rs, 1, (sqlite3_int64)j->job);
	while ((rc = sqlite3_step(rs)) == SQLITE_ROW) {
		j->range =
		    xreallocarray(j->range, j->nrange + 1, sizeof(*j->range));
		j->range[j->nrange++] = store_col_str(rs, 0);
	}
	sqlite3_reset(rs);
	if (rc != SQLITE_DONE) {
		pogo_store_job_free(j);
		return store_err(st->db, rc, "ranges");
	}
	*jp = j;
	return 0;
}

/* SQLite's LIMIT: -1 means none. */
static sqlite3_int64
store_limit(uint32_t max)
{
	return max == 0 ? -1 : (sqlite3_int64)max;
}

/* Give every job row of statement q (bound) to fn, then reset q. */
static int
store_jobs_visit(
    struct pogo_store *st, enum store_stmt q, pogo_store_job_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[q];
	struct pogo_store_job *j;
	int rc, stop, r = 0;

	st->busy[q] = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_job_row(st, s, &j)) != 0)
			break;
		stop = fn(j, arg);
		pogo_store_job_free(j);
		if (stop != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_err(st->db, rc, store_sql[q]);
	sqlite3_reset(s);
	st->busy[q] = false;
	return r;
}

int
pogo_store_jobs(struct pogo_store *st, pogo_store_job_fn fn, void *arg)
{
	if (st->busy[S_JOBS])
		return UV_EBUSY;
	return store_jobs_visit(st, S_JOBS, fn, arg);
}

int
pogo_store_jobs_list(struct pogo_store *st, const struct pogo_store_filter *f,
    uint32_t offset, uint32_t max, pogo_store_job_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_LIST];

	if (st->busy[S_LIST])
		return UV_EBUSY;
	store_bind_str(s, 1, f->user);
	sqlite3_bind_int(s, 2, f->state);
	store_bind_str(s, 3, f->namespace);
	store_bind_str(s, 4, f->target);
	sqlite3_bind_int64(s, 5, offset);
	sqlite3_bind_int64(s, 6, store_limit(max));
	return store_jobs_visit(st, S_LIST, fn, arg);
}

int
pogo_store_jobs_count(
    struct pogo_store *st, const struct pogo_store_filter *f, uint64_t *np)
{
	sqlite3_stmt *s = st->stmt[S_LIST_COUNT];
	int rc, r = 0;

	*np = 0;
	store_bind_str(s, 1, f->user);
	sqlite3_bind_int(s, 2, f->state);
	store_bind_str(s, 3, f->namespace);
	store_bind_str(s, 4, f->target);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*np = (uint64_t)sqlite3_column_int64(s, 0);
	else
		r = store_err(st->db, rc, "jobs count");
	sqlite3_reset(s);
	return r;
}

int
pogo_store_job_get(
    struct pogo_store *st, uint64_t job, struct pogo_store_job **jp)
{
	sqlite3_stmt *s = st->stmt[S_JOB_GET];
	int rc, r;

	*jp = NULL;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = store_job_row(st, s, jp);
	else if (rc == SQLITE_DONE)
		r = POGO_ERR_NOTFOUND;
	else
		r = store_err(st->db, rc, "job");
	sqlite3_reset(s);
	return r;
}

/* Give every host row of statement q (bound, columns as S_HOSTS) to fn,
 * then reset q. */
static int
store_hosts_visit(
    struct pogo_store *st, enum store_stmt q, pogo_store_host_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[q];
	struct pogo_store_host h;
	int rc, r = 0;

	st->busy[q] = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		st->stats.host_rows++;
		memset(&h, 0, sizeof(h));
		h.idx = (uint32_t)sqlite3_column_int64(s, 0);
		h.name = (const char *)sqlite3_column_text(s, 1);
		h.state = sqlite3_column_int(s, 2);
		h.message = (const char *)sqlite3_column_text(s, 3);
		h.exitstatus = (int)store_col_opt(s, 4);
		h.runs = (uint32_t)sqlite3_column_int64(s, 5);
		h.start_time = sqlite3_column_double(s, 6);
		h.finish_time = sqlite3_column_double(s, 7);
		h.task_id = (const char *)sqlite3_column_text(s, 8);
		h.worker = (const char *)sqlite3_column_text(s, 9);
		h.worker_instance = (const char *)sqlite3_column_text(s, 10);
		if (fn(&h, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, store_sql[q]);
	sqlite3_reset(s);
	st->busy[q] = false;
	return r;
}

int
pogo_store_hosts(struct pogo_store *st, uint64_t job, uint32_t offset,
    uint32_t max, pogo_store_host_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_HOSTS];

	if (st->busy[S_HOSTS])
		return UV_EBUSY;
	store_hosts_sync(st);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, offset);
	sqlite3_bind_int64(s, 3, store_limit(max));
	return store_hosts_visit(st, S_HOSTS, fn, arg);
}

int
pogo_store_hosts_by_name(struct pogo_store *st, uint64_t job, int state,
    uint32_t offset, uint32_t max, pogo_store_host_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_HOSTS_BY_NAME];

	if (st->busy[S_HOSTS_BY_NAME])
		return UV_EBUSY;
	store_hosts_sync(st);
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int(s, 2, state < 0 ? -1 : state);
	sqlite3_bind_int64(s, 3, offset);
	sqlite3_bind_int64(s, 4, store_limit(max));
	return store_hosts_visit(st, S_HOSTS_BY_NAME, fn, arg);
}

int
pogo_store_host_counts(
    struct pogo_store *st, uint64_t job, uint32_t *n, size_t nstates)
{
	struct store_hjob *hj;
	size_t i;
	int r;

	uint32_t v[STORE_NSTATES];
	bool marked;

	memset(n, 0, nstates * sizeof(*n));
	if ((hj = store_hjob_find(st, job)) == NULL) {
		/* Marked: counts this store forgot (a failed commit). */
		if ((r = store_counts_read(
		         st, S_HOST_COUNTS, job, v, &marked)) != 0 ||
		    (marked &&
		        (r = store_counts_read(
		             st, S_HOST_TALLY, job, v, &marked)) != 0))
			return r;
	} else
		memcpy(v, hj->n, sizeof(v));
	for (i = 0; i < nstates && i < STORE_NSTATES; i++)
		n[i] = v[i];
	return 0;
}

int
pogo_store_host_find(
    struct pogo_store *st, uint64_t job, const char *name, uint32_t *idxp)
{
	sqlite3_stmt *s = st->stmt[S_HOST_FIND];
	int rc, r = 0;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*idxp = (uint32_t)sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		r = POGO_ERR_NOTFOUND;
	else
		r = store_err(st->db, rc, "host");
	sqlite3_reset(s);
	return r;
}

int
pogo_store_log(struct pogo_store *st, uint64_t job, uint32_t offset,
    uint32_t max, pogo_store_entry_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_LOG];
	struct pogo_store_entry e;
	int rc, r = 0;

	if (st->busy[S_LOG])
		return UV_EBUSY;
	st->busy[S_LOG] = true;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, offset);
	sqlite3_bind_int64(s, 3, store_limit(max));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.index = (uint32_t)sqlite3_column_int64(s, 0);
		e.time = sqlite3_column_double(s, 1);
		e.host = store_col_opt(s, 2);
		e.host_name = (const char *)sqlite3_column_text(s, 3);
		e.state = sqlite3_column_int(s, 4);
		e.message = (const char *)sqlite3_column_text(s, 5);
		e.exitstatus = (int)store_col_opt(s, 6);
		e.run = (uint32_t)sqlite3_column_int64(s, 7);
		e.output = sqlite3_column_int(s, 8) != 0;
		if (fn(&e, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, "log");
	sqlite3_reset(s);
	st->busy[S_LOG] = false;
	return r;
}

int
pogo_store_job_refs(
    struct pogo_store *st, uint64_t job, pogo_store_ref_fn fn, void *arg)
{
	sqlite3_stmt *s = st->stmt[S_REFS];
	struct pogo_store_ref ref;
	struct pogo_strv hosts = { 0 };
	const char *p, *nl, *end;
	int rc, r = 0;

	if (st->busy[S_REFS])
		return UV_EBUSY;
	st->busy[S_REFS] = true;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ref, 0, sizeof(ref));
		ref.idx = (uint32_t)sqlite3_column_int64(s, 0);
		ref.ref = (const char *)sqlite3_column_text(s, 1);
		ref.failure = (const char *)sqlite3_column_text(s, 3);
		p = (const char *)sqlite3_column_text(s, 2);
		end = p != NULL ? p + sqlite3_column_bytes(s, 2) : NULL;
		/* One name per line, each ended by its newline. */
		while (p != NULL && p < end &&
		    (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			pogo_strv_take(&hosts, xstrndup(p, (size_t)(nl - p)));
			p = nl + 1;
		}
		ref.hosts = (const char *const *)hosts.v;
		ref.nhosts = hosts.n;
		rc = fn(&ref, arg);
		pogo_strv_clear(&hosts);
		if (rc != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, "job references");
	sqlite3_reset(s);
	st->busy[S_REFS] = false;
	return r;
}

int
pogo_store_log_length(struct pogo_store *st, uint64_t job, uint32_t *np)
{
	sqlite3_stmt *s = st->stmt[S_LOG_LENGTH];
	int rc, r = 0;

	*np = 0;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*np = (uint32_t)sqlite3_column_int64(s, 0);
	else
		r = store_err(st->db, rc, "log length");
	sqlite3_reset(s);
	return r;
}

int
pogo_store_output(struct pogo_store *st, uint64_t job, uint32_t host,
    uint32_t run, uint32_t offset, uint32_t max, pogo_store_output_fn fn,
    void *arg)
{
	sqlite3_stmt *s = st->stmt[S_OUTPUT];
	struct pogo_store_output o;
	int rc, r = 0;

	if (st->busy[S_OUTPUT])
		return UV_EBUSY;
	/* A failed write of the buffer is the writers' failure, not this
	 * read's: it sees what was written. */
	if (st->nout > 0 && !st->closing)
		(void)store_output_flush(st);
	st->busy[S_OUTPUT] = true;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)job);
	sqlite3_bind_int64(s, 2, host);
	sqlite3_bind_int64(s, 3, run);
	sqlite3_bind_int64(s, 4, offset);
	sqlite3_bind_int64(s, 5, store_limit(max));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		o.host = (uint32_t)sqlite3_column_int64(s, 0);
		o.run = (uint32_t)sqlite3_column_int64(s, 1);
		o.seq = (uint32_t)sqlite3_column_int64(s, 2);
		o.ts = sqlite3_column_double(s, 3);
		o.type = (enum pogo_store_out_type)sqlite3_column_int(s, 4);
		o.data = sqlite3_column_blob(s, 5);
		o.len = (size_t)sqlite3_column_bytes(s, 5);
		if (o.data == NULL)
			o.data = "";
		o.eol = sqlite3_column_int(s, 6) != 0;
		if (fn(&o, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, "output");
	sqlite3_reset(s);
	st->busy[S_OUTPUT] = false;
	return r;
}

void
pogo_store_fail_commits(struct pogo_store *st, bool fail)
{
	st->fail_commits = fail;
}

void
pogo_store_hjobs_budget(struct pogo_store *st, size_t bytes)
{
	st->hjobs_budget = bytes;
}

void
pogo_store_stats(const struct pogo_store *st, struct pogo_store_stats *s)
{
	*s = st->stats;
	s->host_jobs = st->nhjobs;
}

int
pogo_store_columns(struct pogo_store *st,
    int (*fn)(const char *table, const char *column, void *arg), void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc, r = 0;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT m.name, p.name FROM sqlite_schema m,"
	        " pragma_table_info(m.name) p WHERE m.type = 'table'"
	        " ORDER BY m.name, p.cid",
	        -1, &s, NULL) != SQLITE_OK)
		return store_err(st->db, SQLITE_ERROR, "columns");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(s, 0),
		        (const char *)sqlite3_column_text(s, 1), arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_err(st->db, rc, "columns");
	sqlite3_finalize(s);
	return r;
}
