/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher component (SPEC 7, STYLE.md 9.1): it owns the store
 * (SPEC 6) and the control port (SPEC 7.5), and keeps no file-level
 * state, so that `pogo one` and the tests can run it beside the other
 * components on one loop.
 *
 *   pogo_dispatcher_start(loop, cfg, &d, &cause)
 *       checks the loopback rule (SPEC 10.1) for the control and worker
 *       ports, opens the store in cfg->state_dir ("" for an in-memory
 *       store: `pogo one` without --state-dir) and listens on
 *       dispatcher.control_listen, logging "Listening on <host>:<port>".
 *       An empty control_listen or worker_listen (set by code: cfg.c
 *       refuses an empty one from a file or -o) means no such port:
 *       `pogo one`'s pair (pair.h) listens on nothing, its worker linked
 *       by pogo_dispatcher_worker_link().
 *   pogo_dispatcher_stop(d, cb, arg)
 *       stops listening, lets every pending request be answered, stops
 *       the engine and the worker layer (when plugged in), closes the
 *       store (its last commit and checkpoint), then calls cb and frees d.
 *
 * The control port serves GET /status, POST /v1/jobsubmit (the checks
 * of SPEC 5.1 in their order, with their messages), GET /v1/jobs/:jobid,
 * /v1/jobs/:jobid/hosts, /v1/jobs/:jobid/hosts/:host and
 * /v1/jobs/:jobid/log (SPEC 11.3-11.4, answered from the store), POST
 * /v1/admin/nomas, and POST /v1/jobs/:jobid's job operations (SPEC 5.5:
 * jobhalt, jobresume, jobretry, jobskip, jobalter) through the engine,
 * answered after their commit.  The other routes of SPEC 11.3 are rows of the route
 * table already, answered 501 until they are implemented.
 *
 * A submission is stored in its initial state: the job record
 * (`gathering`, "job created; fetching host info"), log entry 0 and every
 * host `waiting`, inserted a chunk of hosts per loop turn.  The job id is
 * answered from the after-commit callback of the last chunk (SPEC 6.3),
 * and only then is the engine told (struct pogo_dispatcher_engine).
 *
 * Two layers plug in before the loop runs, each through a table of
 * functions and its own argument; without them a job stays `gathering`
 * and /status lists no worker:
 *   - the engine (src/job.c, many jobs): pogo_dispatcher_set_engine();
 *   - the worker connection layer (src/peer.c):
 *     pogo_dispatcher_set_peer().
 * Both reach the store through pogo_dispatcher_store(), and call
 * pogo_dispatcher_log_appended() after they append a job log entry, so
 * that a long poll on /v1/jobs/:jobid/log?wait=S answers at once.
 */
#ifndef POGO_DISPATCHER_H
#define POGO_DISPATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pogo_cfg;
struct pogo_dispatcher;
struct pogo_dispatcher_watch;
struct pogo_json;
struct pogo_store;
struct pogo_strv;

/* Longest wait of a log long poll (SPEC 11.3), in seconds. */
#define POGO_DISPATCHER_MAX_WAIT 60
/* The largest page of a paged list (SPEC 11.2); a larger `max` gives
 * this many items, meta.count still the total. */
#define POGO_DISPATCHER_MAX_PAGE 10000
/*
 * GET /v1/jobs/:jobid/schedule: schedules built at once in the thread
 * pool (a request needing another gets 503), requests waiting for one
 * build, and built answers kept until their job changes.
 */
#define POGO_DISPATCHER_SCHED_BUILDS 2
#define POGO_DISPATCHER_SCHED_WAITERS 64
#define POGO_DISPATCHER_SCHED_KEEP 8
/* Built answers are kept at most this long, and this many bytes of them
 * in all (review7 finding 4). */
#define POGO_DISPATCHER_SCHED_AGE_MS 60000
#define POGO_DISPATCHER_SCHED_BYTES (16u * 1024 * 1024)
/* Hosts inserted per loop turn while a job is stored (store.h). */
#define POGO_DISPATCHER_INSERT_CHUNK 4096
/* The longest `command` (SPEC 5.1) and attached script, in bytes. */
#define POGO_DISPATCHER_MAX_COMMAND (128 * 1024)
#define POGO_DISPATCHER_MAX_EXE (1024 * 1024)

/*
 * The secrets of a submission (SPEC 5.1), as the client sent them: base64
 * secret boxes (SPEC 10.3), or NULL.  They are never stored (SPEC 6.2):
 * the engine keeps them in the secret cache (SPEC 7.4).  key_id is the
 * worker key they are encrypted for (lowercase hex), NULL without
 * secrets.
 */
struct pogo_dispatcher_secrets {
	const char *password;
	const char *client_private_key;
	const char *pvt_key_passphrase;
	const char *key_id;
};

/*
 * The engine.  submitted is called once per job, on the loop, after the
 * job is committed and its id answered; the job is `gathering`, its log
 * has entry 0 and its hosts are `waiting` with no message.  secrets are
 * borrowed for the call.  stop is called by pogo_dispatcher_stop() before
 * the store closes, and must call done(darg) once, later.  jobs_active
 * (may be NULL) answers /status; without it the store is counted.
 */
struct pogo_dispatcher_engine {
	void (*submitted)(struct pogo_dispatcher *d, uint64_t job,
	    const struct pogo_dispatcher_secrets *secrets, void *arg);
	void (*stop)(struct pogo_dispatcher *d, void (*done)(void *darg),
	    void *darg, void *arg);
	uint64_t (*jobs_active)(struct pogo_dispatcher *d, void *arg);
	/*
	 * Job operations (SPEC 5.5; may be NULL): halt job with reason,
	 * and kill its running tasks ("killed").  0, POGO_ERR_NOTFOUND
	 * (the engine runs no such job) or POGO_ERR_STATE.
	 */
	int (*halt)(struct pogo_dispatcher *d, uint64_t job, const char *reason,
	    void *arg);
	int (*kill)(struct pogo_dispatcher *d, uint64_t job, void *arg);
	/*
	 * The other operations of SPEC 5.5 (may be NULL), on any job of
	 * the store, the engine reloading one that ended (before a restart
	 * too).  resume: secrets (NULL or without key_id: none given)
	 * replace the cached ones (SPEC 7.4) once the job is known to be
	 * resumable; 0, POGO_ERR_NOTFOUND (no such job, or one not handed
	 * to the engine yet), POGO_ERR_STORE (it cannot be reloaded),
	 * POGO_ERR_STATE (not halted or deadlocked), POGO_ERR_RANGE
	 * (secrets for another worker key than the job's), POGO_ERR_USAGE
	 * (secrets for a job submitted without any: its tasks may go to
	 * any worker, it cannot take them later) or POGO_ERR_NOKEY (the
	 * job needs secrets and none are cached).
	 * retry takes secrets as resume does (and its errors).
	 * retry and skip: hosts[0..n-1] are host names of the job (checked
	 * by the caller); results[i] is set to 1 for a host changed, 0 for
	 * another; 0, POGO_ERR_NOTFOUND, POGO_ERR_STORE, or
	 * POGO_ERR_TIMEOUT (retry of an expired job: nothing changed).  alter: 0, POGO_ERR_NOTFOUND, or
	 * UV_EINVAL for a bad attribute or value (job.h pogo_job_alter()).
	 * Every change is queued to the store by the engine; the caller
	 * answers after the commit.
	 */
	int (*resume)(struct pogo_dispatcher *d, uint64_t job,
	    const struct pogo_dispatcher_secrets *secrets, void *arg);
	int (*retry)(struct pogo_dispatcher *d, uint64_t job,
	    const char *const *hosts, size_t n,
	    const struct pogo_dispatcher_secrets *secrets, int *results,
	    void *arg);
	int (*skip)(struct pogo_dispatcher *d, uint64_t job,
	    const char *const *hosts, size_t n, int *results, void *arg);
	int (*alter)(struct pogo_dispatcher *d, uint64_t job, const char *attr,
	    const char *value, void *arg);
	/*
	 * The constraint counters of namespace ns (SPEC 3.5; may be NULL):
	 * adds to the array locks one object per group, in name order,
	 * {"group", "limit", "used", "holders": [{"jobid", "host"}]}
	 * (GET /v1/namespaces/:ns/locks).
	 */
	void (*locks)(struct pogo_dispatcher *d, const char *ns,
	    struct pogo_json *locks, void *arg);
	/*
	 * The hosts of a job the engine holds in memory (may be NULL), for
	 * GET /v1/jobs/:jobid/schedule without reading the store: pushes
	 * its host names in job order to hosts and sets *states to a new
	 * array (freed by the caller) of their states (enum
	 * pogo_host_state).  0, or POGO_ERR_NOTFOUND when the engine does
	 * not hold the job (hosts and *states untouched).
	 */
	int (*hosts)(struct pogo_dispatcher *d, uint64_t job,
	    struct pogo_strv *hosts, uint8_t **states, void *arg);
	/*
	 * Before resume, retry or skip (may be NULL): make the engine hold
	 * job.  0: it holds it, or has nothing to reload (the operation
	 * answers as without this call).  UV_EAGAIN: it reloads the job
	 * (one that ended, SPEC 6.4) from the store a page of rows per loop
	 * turn, so that a large job never holds the loop long, then calls
	 * cb(cookie, status) once, from the loop: status 0 (it holds the
	 * job until the end of that turn: do the operation from cb) or the
	 * operation's error (POGO_ERR_NOTFOUND, POGO_ERR_STORE).  UV_EBUSY:
	 * too many reloads or waiters at once (try again later).  cb is
	 * never called once the engine stops.
	 */
	int (*load)(struct pogo_dispatcher *d, uint64_t job,
	    void (*cb)(void *cookie, int status), void *cookie, void *arg);
};

/*
 * The worker connection layer (SPEC 8), which listens on
 * dispatcher.worker_listen (the dispatcher has checked the loopback rule
 * for it).  workers calls fn once per connected worker with
 * "<name> <peer-ip>:<peer-port>" (GET /status).  stop as for the engine;
 * the peer layer is stopped after the engine.
 */
struct pogo_dispatcher_peer {
	void (*workers)(struct pogo_dispatcher *d,
	    void (*fn)(const char *worker, void *fnarg), void *fnarg,
	    void *arg);
	void (*stop)(struct pogo_dispatcher *d, void (*done)(void *darg),
	    void *darg, void *arg);
	/* The worker port's bound address (may be NULL). */
	int (*address)(
	    struct pogo_dispatcher *d, struct sockaddr_storage *ss, void *arg);
	/* A worker of this process: pogo_dispatcher_worker_link(). */
	int (*link)(struct pogo_dispatcher *d, uv_os_sock_t *sockp, void *arg);
};

/*
 * Start a dispatcher on loop with cfg (borrowed: it must outlive the
 * dispatcher).  Blocks while the store opens: call it before the loop
 * runs.  Returns 0 and *dp, or a negative code and *cause (freed by the
 * caller): POGO_ERR_CONFIG for the loopback rule ("refusing to listen on
 * <addr> without TLS; use --insecure to override") or a bad address,
 * POGO_ERR_NOTIMPL for TLS (tls.cert set), UV_EBUSY "state directory
 * <dir> is in use", POGO_ERR_STORE, or a libuv error of bind or listen
 * ("control port <addr>: address already in use").  Nothing is left
 * open on failure.
 */
int pogo_dispatcher_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    struct pogo_dispatcher **dp, char **cause);

/*
 * Stop d: see above.  cb(arg) is called once, from the loop, after every
 * handle of d is closed; d is then freed.  Call once.
 */
void pogo_dispatcher_stop(
    struct pogo_dispatcher *d, void (*cb)(void *arg), void *arg);

/*
 * Row i of the control port's route table (SPEC 7.5, 11.3): its method
 * and pattern ("/v1/jobs/:jobid/log"), both static, and whether it is for
 * admins only when the API forwards a user.  Returns false past the last
 * row.  For the tests that pogo api's table and pogo-api(8) name the same
 * routes.
 */
bool pogo_dispatcher_route(
    size_t i, const char **method, const char **pattern, bool *admin);

/* Plug in the engine or the worker layer (tables borrowed; see above). */
void pogo_dispatcher_set_engine(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_engine *engine, void *arg);
void pogo_dispatcher_set_peer(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_peer *peer, void *arg);

/* One field of a submission, as in POST /v1/jobsubmit's form. */
struct pogo_dispatcher_field {
	const char *name;
	const char *value;
};

/*
 * A submission is answered: status 0 and jobid ("p0000000042",
 * borrowed for the call) once the job is committed, or a negative code
 * (the store failed: "dispatcher CP: cannot store the job") and NULL.
 */
typedef void (*pogo_dispatcher_submit_cb)(
    struct pogo_dispatcher *d, int status, const char *jobid, void *arg);

/*
 * Submit a job from this process: what POST /v1/jobsubmit does with its
 * form, fields (borrowed for the call; a field may repeat, as range
 * does) checked by the same code with the same messages, stored the
 * same way, and the engine told after the commit, as for any job.  from
 * names the submitter in the log.  Secret fields are secret boxes (SPEC
 * 5.1, 10.3), checked as the form's are (one worker key for all); a
 * secret box is the only way a secret enters a dispatcher (pair.h says
 * how pogo one's password travels).
 * Returns 0, then cb is called once, later, from the loop; or an error
 * and *msg, the refusal (SPEC 5.1's message; the caller frees it), and
 * cb is never called.
 */
int pogo_dispatcher_submit(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_field *fields, size_t nfields,
    const char *from, pogo_dispatcher_submit_cb cb, void *arg, char **msg);

/*
 * Called once, on the loop, when a commit of the store failed (store.h:
 * the store refuses every later write): the owner should stop d with
 * pogo_dispatcher_stop() and exit with a failure.  Without it, d only
 * logs the failure.
 */
void pogo_dispatcher_set_fatal(struct pogo_dispatcher *d,
    void (*cb)(struct pogo_dispatcher *d, void *arg), void *arg);

/*
 * A commit of the store failed (the engine's after-commit callbacks):
 * log it and call the fatal callback, once.
 */
void pogo_dispatcher_store_failed(struct pogo_dispatcher *d);

/*
 * GET .../schedule's answers: built answers kept, the bytes of their
 * texts, host lists still referenced (by answers built or being built),
 * and requests waiting for builds.
 */
struct pogo_dispatcher_sched_stats {
	unsigned kept;
	size_t bytes;
	unsigned hosts;
	unsigned waiters;
};
void pogo_dispatcher_sched_stats(
    struct pogo_dispatcher *d, struct pogo_dispatcher_sched_stats *st);
/* For tests: keep built answers at most age_ms, bytes in all. */
void pogo_dispatcher_sched_limits(
    struct pogo_dispatcher *d, uint64_t age_ms, size_t bytes);

/* The store, for the engine and the worker layer. */
struct pogo_store *pogo_dispatcher_store(struct pogo_dispatcher *d);

/* The configuration d was started with. */
const struct pogo_cfg *pogo_dispatcher_cfg(struct pogo_dispatcher *d);

/* The control port's bound address (port 0 resolved). */
int pogo_dispatcher_control_address(
    struct pogo_dispatcher *d, struct sockaddr_storage *ss);

/*
 * The worker port's bound address (port 0 resolved), from the worker
 * layer: UV_EINVAL without one.  A worker in the same process connects
 * there (pair.h).
 */
int pogo_dispatcher_worker_address(
    struct pogo_dispatcher *d, struct sockaddr_storage *ss);

/*
 * A worker of this process (pair.h) connects without a port: 0 and one
 * end of a connected socketpair in *sockp (the caller's to own; the other
 * end is a connection of the worker layer, peer.h), or UV_ECANCELED once
 * d is stopping or without a worker layer, or a libuv error.
 */
int pogo_dispatcher_worker_link(struct pogo_dispatcher *d, uv_os_sock_t *sockp);

/*
 * The engine appended a log entry of job: answer the long polls waiting
 * on it and call the watches of job (from the loop, after the entry's
 * commit).
 */
void pogo_dispatcher_log_appended(struct pogo_dispatcher *d, uint64_t job);

/*
 * Operations on a job from this process, through the engine (pogo one's
 * Ctrl-C: halt with "halted by user", then kill).  0, POGO_ERR_NOTFOUND,
 * POGO_ERR_STATE, or POGO_ERR_NOTIMPL without an engine that has them.
 * POST /v1/jobs/:jobid (jobhalt) calls the same.
 */
int pogo_dispatcher_job_halt(
    struct pogo_dispatcher *d, uint64_t job, const char *reason);
int pogo_dispatcher_job_kill(struct pogo_dispatcher *d, uint64_t job);

/*
 * A reader of a job's log in this process, as a long poll of GET
 * /v1/jobs/:jobid/log?wait=S is over HTTP (tail.h follows a job so):
 * fn(d, job, arg) is called from the loop after new log entries of job
 * are committed, until pogo_dispatcher_unwatch().  It reads them from
 * the store; it may unwatch its own watch, no other.  Watches left at
 * the stop are freed with d.
 */
typedef void (*pogo_dispatcher_watch_fn)(
    struct pogo_dispatcher *d, uint64_t job, void *arg);
struct pogo_dispatcher_watch *pogo_dispatcher_watch(struct pogo_dispatcher *d,
    uint64_t job, pogo_dispatcher_watch_fn fn, void *arg);
void pogo_dispatcher_unwatch(
    struct pogo_dispatcher *d, struct pogo_dispatcher_watch *x);

#endif
