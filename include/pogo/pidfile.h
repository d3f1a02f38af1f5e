/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Pid files of a worker's running local tasks (SPEC 9.10): the worker
 * writes <state_dir>/worker/<task_id>.pid while a task runs and removes it
 * when the task ends; at its next start it kills the process groups that
 * leftover files name, so that a worker killed with SIGKILL leaves no
 * command running unseen.
 *
 * A file holds one line, "<pgid> <start> <worker-pid> <worker-start>
 * <boot-id>": the task's process group (its leader's pid), the leader's
 * start time and the writing worker's pid and start time (field 22 of
 * /proc/PID/stat, clock ticks since boot), and the boot's id
 * (/proc/sys/kernel/random/boot_id).  pogo_pidfile_reap() leaves alone the
 * files of a worker that still runs (two workers may share a state
 * directory) and kills only what is provably the task's group: nothing
 * from another boot or when the boot or the leader's start time is
 * unknown; a live leader only if its start time matches; a
 * group whose leader is gone by its id, which Linux does not reuse while
 * a member lives.
 *
 * An ended task's file is not deleted but renamed to a spare,
 * .spare-<worker-pid>-<k> (at most 1024), which a later task's write
 * renames to its own name and overwrites: creating and deleting a file
 * per task cost ext4 ten times a rename (its inode allocation).  The
 * spares go when the directory is freed, and pogo_pidfile_reap() removes
 * those of a worker that is gone (never signalling anything for them).
 */
#ifndef POGO_PIDFILE_H
#define POGO_PIDFILE_H

#include <sys/types.h>

#include <uv.h>

struct pogo_pidfile_dir;
struct pogo_pidfile;

/*
 * The pid files of one directory, dir.  Their writes and removals run in
 * libuv's thread pool (the loop never waits on the disk), in batches: one
 * batch at a time holds every write and removal asked for since the last
 * one started, so that many tasks cost one thread-pool round trip, and
 * the thread does no allocation.  The boot's id and the worker's own pid
 * and start time are read once, by the first batch.
 */
struct pogo_pidfile_dir *pogo_pidfile_dir_new(uv_loop_t *loop, const char *dir);

/*
 * Free d, once each of its files was removed (their done callbacks
 * called); a batch still under way frees it when it ends.
 */
void pogo_pidfile_dir_free(struct pogo_pidfile_dir *d);

/*
 * Write <dir>/<name>.pid for the process group pgid, with d's next batch.
 * name (a task id, from the network) is never a path and two ids never
 * share a file: bytes other than [A-Za-z0-9_.:-] and a leading '.' are
 * written %XX, and a name longer than 180 bytes keeps its start and gets a
 * hash of the whole.  written(arg) (may be NULL) is called from the loop
 * once the write is over, also when it failed (a failure is logged, as a
 * warning), never from within this call.
 */
struct pogo_pidfile *pogo_pidfile_new(struct pogo_pidfile_dir *d,
    const char *name, pid_t pgid, void (*written)(void *arg), void *arg);

/*
 * Remove the file once it is written, with a later batch, then call
 * done(arg) from the loop and free pf.  Call once.
 */
void pogo_pidfile_remove(
    struct pogo_pidfile *pf, void (*done)(void *arg), void *arg);

/* The batches d ran so far (the thread-pool round trips; for tests). */
unsigned long pogo_pidfile_dir_batches(const struct pogo_pidfile_dir *d);

/*
 * At a worker's start, before its loop runs (it blocks): for each *.pid
 * in dir whose worker is gone, SIGKILL the group it names (see above) and
 * remove the file; each group killed is logged (warning).  A missing dir
 * is none.  Returns the number of groups signalled, or a negative error
 * with *cause set for the caller to print and free.
 */
int pogo_pidfile_reap(const char *dir, char **cause);

/* Field 22 of /proc/<pid>/stat (start time, clock ticks), or 0. */
unsigned long long pogo_pidfile_starttime(pid_t pid);

#endif
