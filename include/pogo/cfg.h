/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The daemon configuration file (SPEC 1.6), read through libcyaml:
 * src/cfg.c is the only file that includes it.
 *
 * One libcyaml schema describes the file.  Every leaf is read as text and
 * checked here (libcyaml's own number parsing takes "10 s" for 10), so a
 * duration, a port or a path gets a message that names its dotted key.
 * An unknown key is an error that names it.  Absent keys, and keys whose
 * value is empty or null, take the defaults of SPEC 1.5/1.6.  Strings are
 * at most POGO_CFG_MAX_STRING bytes, lists have a few dozen entries at
 * most and the file POGO_CFG_MAX_BYTES, so a hostile file cannot make
 * pogo allocate much.
 *
 * The API is pure: load text (or a file) into a struct, free it.  Nothing
 * is opened, created or checked on disk besides reading the file itself.
 */
#ifndef POGO_CFG_H
#define POGO_CFG_H

#define POGO_CFG_DEFAULT_FILE "/etc/pogo/pogo.yaml"
#define POGO_CFG_MAX_BYTES (1024 * 1024)
#define POGO_CFG_MAX_STRING 4096 /* a path, PATH_MAX */
#define POGO_CFG_MAX_NAME 255    /* worker.name, user names */
#define POGO_CFG_MAX_PINS 64
#define POGO_CFG_MAX_ADMINS 1024
#define POGO_CFG_MAX_DISPATCHERS 64
#define POGO_CFG_MAX_IDENTITIES 64
/*
 * Durations are whole seconds, at most ten years; 0 means none, except
 * worker.ssh.connect_timeout, at least 1 (every connection is timed out).
 */
#define POGO_CFG_MAX_DURATION (10LL * 366 * 24 * 3600)

enum pogo_cfg_auth {
	POGO_CFG_AUTH_NONE,
	POGO_CFG_AUTH_CERT,
	POGO_CFG_AUTH_TOKEN,
};

enum pogo_cfg_hostkey {
	POGO_CFG_HOSTKEY_STRICT,
	POGO_CFG_HOSTKEY_ACCEPT_NEW,
	POGO_CFG_HOSTKEY_OFF,
};

/*
 * HOST:PORT, as written (str) and split.  host keeps no brackets: "::1"
 * for "[::1]:7655".  Listen addresses may use port 0 (an ephemeral port);
 * addresses pogo connects to need 1 to 65535.
 */
struct pogo_cfg_addr {
	char *str;
	char *host;
	int port;
};

/*
 * The loaded configuration; every string is owned by it and is "" when
 * unset.  Paths have "~" at their start replaced by the home directory.
 * Field names are the keys of SPEC 1.6.
 */
struct pogo_cfg {
	char *file; /* the file read, "" when the default file is absent */
	char *state_dir;
	int log_level; /* enum pogo_log_level */
	char *log_file;
	char *pid_file;
	bool insecure;
	/*
	 * Not a key: pogo one's dispatcher halts the active jobs of an
	 * earlier run that it finds in state_dir instead of continuing them
	 * (SPEC 6.4 is the daemon's rule; pogo one runs only its own job).
	 */
	bool halt_earlier_jobs;
	struct {
		char *ca_cert;
		char *cert;
		char *key;
		char **pins; /* as written; "AB:CD..." or "abcd..." */
		size_t npins;
	} tls;
	struct {
		struct pogo_cfg_addr listen;
		struct pogo_cfg_addr dispatcher;
		enum pogo_cfg_auth auth;
		char *token_file;
		char **admins;
		size_t nadmins;
		char *worker_cert;
		unsigned max_long_polls; /* long polls forwarded at once */
		unsigned max_buffered;   /* bytes of answers held at once */
	} api;
	struct {
		struct pogo_cfg_addr worker_listen;
		struct pogo_cfg_addr control_listen;
		char *namespace_dir;
		char *resolver_path;
		unsigned lost_worker_grace;
		unsigned retention_days;
		/*
		 * Local tasks (a shell as the worker's user) for every user
		 * of the API, not only its admins (#10, review4 F-F).
		 */
		bool local_tasks_for_all;
	} dispatcher;
	struct {
		char *name;
		struct pogo_cfg_addr *dispatchers;
		size_t ndispatchers;
		unsigned reconnect_delay;
		unsigned max_tasks;
		unsigned max_handshakes;
		unsigned max_output;
		bool use_local_identity;
		char *hook_dir;
		struct {
			char *user;
			int port;
			char **identity_files;
			size_t nidentity_files;
			char *config;
			bool config_optional; /* the default: used if present */
			char *known_hosts;
			enum pogo_cfg_hostkey host_key_check;
			unsigned connect_timeout; /* >= 1 */
		} ssh;
	} worker;
};

/* Where a configuration comes from. */
struct pogo_cfg_src {
	/*
	 * The file: NULL for POGO_CFG_DEFAULT_FILE, which may be absent
	 * (then everything is default); a named file must exist.
	 */
	const char *file;
	/* -o KEY=VALUE overrides, applied in order after the file. */
	const char *const *overrides;
	size_t noverrides;
	/* "~" in paths; NULL: $HOME, else the password database. */
	const char *home;
	/* worker.name's default; NULL: gethostname(). */
	const char *hostname;
};

/*
 * Load src into a new configuration.  Returns 0 with *cfgp owned by the
 * caller (pogo_cfg_free), or POGO_ERR_CONFIG (also for a file that cannot
 * be read) with *cause a one-line message for the caller to print and
 * free, of the form "FILE: line L, column C: KEY: problem" where libcyaml
 * gives the position, "FILE: KEY: problem" otherwise and
 * "-o KEY=VALUE: problem" for an override.
 */
int pogo_cfg_load(
    const struct pogo_cfg_src *src, struct pogo_cfg **cfgp, char **cause);

/*
 * The same for text already in memory (len bytes, not necessarily
 * NUL-terminated); name stands for the file in messages.  src->file is
 * ignored.
 */
int pogo_cfg_load_text(const char *text, size_t len, const char *name,
    const struct pogo_cfg_src *src, struct pogo_cfg **cfgp, char **cause);

/* Free a configuration; NULL-safe. */
void pogo_cfg_free(struct pogo_cfg *cfg);

/*
 * Split "HOST:PORT" ("[V6]:PORT" for IPv6) into addr, which the caller
 * releases with pogo_cfg_addr_release().  Returns 0 or POGO_ERR_CONFIG
 * with *cause set.  Port 0 is accepted only when listen is true.
 */
int pogo_cfg_parse_addr(
    const char *s, bool listen, struct pogo_cfg_addr *addr, char **cause);
void pogo_cfg_addr_release(struct pogo_cfg_addr *addr);

/* libcyaml's version string. */
const char *pogo_cfg_version(void);

#endif
