/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * IdentityFile and IdentitiesOnly from an ssh_config, with OpenSSH's
 * rules (see include/pogo/ssh-config.h for why libssh cannot give them).
 * Only these two keywords are read; every other option is libssh's.
 *
 * The matching follows OpenSSH's match.c: a pattern list is a comma list
 * of patterns with * and ?, each may be negated with !, a negated match
 * refuses the whole list.  The order of the file matters, as in OpenSSH's
 * readconf.c: Host and "Match originalhost" compare the name as given;
 * "Match host" the HostName set so far (the name as given before any),
 * both without case; "Match exec" sees the HostName, Port and User set so
 * far.  The first HostName, Port and User win, so once one applies it is
 * the final value the caller gives.  A Match line naming "final" asks for
 * a second reading, where Host and "Match host" see the final HostName and
 * "final" and "canonical" hold ("canonical" never holds otherwise: there
 * is no canonicalisation).
 */
#include "pogo/compat.h"

#include <ctype.h>
#include <fcntl.h>
#include <glob.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/ssh-config.h"
#include "pogo/xmalloc.h"

#define SSH_CONFIG_MAX_FILE (1024 * 1024)
#define SSH_CONFIG_MAX_DEPTH 16
/*
 * The largest text set up from on the loop: every host parses it again
 * there (libssh, then pogo's reading of the keys), a few microseconds
 * per line; a larger file is read on the pool.
 */
#define SSH_CONFIG_MAX_PLAIN (64 * 1024)

extern char **environ;

/* One file, read once: its lines, cut in place. */
struct ssh_config_file {
	char *path;
	char *buf;
	char **lines;
	size_t n;
	bool whole;   /* read whole: no error, no limit, no NUL byte */
	bool missing; /* no such file: for libssh, no ssh_config */
	bool bad;     /* not a regular file of at most 1 MiB */
	struct ssh_config_file *next;
};

struct pogo_ssh_config {
	char *path;
	char *sshdir;
	uv_mutex_t lock;
	struct ssh_config_file *files;
};

/* The state of one evaluation. */
struct ssh_config_eval {
	struct pogo_ssh_config *c;
	const struct pogo_ssh_config_host *h;
	struct pogo_strv *files;
	bool *only;
	bool only_seen;
	char **cause;
	int r;
	bool final_pass;   /* the second reading, for "Match final" */
	bool want_final;   /* a Match line names "final" */
	bool hostname_set; /* a HostName line applied (the first wins) */
	bool port_set;     /* a Port line applied */
	bool user_set;     /* a User line applied */
};

static int
ssh_config_not_regular(const char *path, char **cause)
{
	xasprintf(
	    cause, "ssh_config %s: not a regular file of at most 1 MiB", path);
	return POGO_ERR_CONFIG;
}

int
pogo_ssh_config_check(const char *path, bool optional, char **cause)
{
	struct stat sb;

	*cause = NULL;
	if (stat(path, &sb) != 0) {
		/* OpenSSH skips a default file it cannot open. */
		if ((errno == ENOENT || errno == ENOTDIR || errno == EACCES) &&
		    optional)
			return 1;
		xasprintf(cause, "ssh_config %s: %s", path, strerror(errno));
		return POGO_ERR_CONFIG;
	}
	/* /dev/null, by any name: none (OpenSSH's -F /dev/null). */
	if (S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(1, 3))
		return 1;
	if (!S_ISREG(sb.st_mode) || sb.st_size > SSH_CONFIG_MAX_FILE)
		return ssh_config_not_regular(path, cause);
	if (access(path, R_OK) != 0) {
		if (optional)
			return 1;
		xasprintf(cause, "ssh_config %s: %s", path, strerror(errno));
		return POGO_ERR_CONFIG;
	}
	return 0;
}

struct pogo_ssh_config *
pogo_ssh_config_new(const char *path, const char *sshdir)
{
	struct pogo_ssh_config *c = xcalloc(1, sizeof(*c));

	c->path = path != NULL ? xstrdup(path) : NULL;
	c->sshdir = xstrdup(sshdir);
	if (uv_mutex_init(&c->lock) != 0)
		fatalx("cannot create a mutex");
	return c;
}

void
pogo_ssh_config_free(struct pogo_ssh_config *c)
{
	struct ssh_config_file *f, *next;

	if (c == NULL)
		return;
	for (f = c->files; f != NULL; f = next) {
		next = f->next;
		free(f->path);
		free(f->buf);
		free(f->lines);
		free(f);
	}
	uv_mutex_destroy(&c->lock);
	free(c->path);
	free(c->sshdir);
	free(c);
}

/* The lines of path, read on first use; unreadable files are empty. */
static struct ssh_config_file *
ssh_config_file(struct pogo_ssh_config *c, const char *path)
{
	struct ssh_config_file *f;
	char *cur, *line;
	size_t len;
	int r;

	uv_mutex_lock(&c->lock);
	for (f = c->files; f != NULL; f = f->next)
		if (strcmp(f->path, path) == 0)
			goto out;
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	/* Not a FIFO, a device nor a huge file (CVE-2026-0965): none. */
	r = pogo_str_read_regular_file(
	    path, SSH_CONFIG_MAX_FILE, &f->buf, &len);
	f->missing = r == POGO_ERR_ERRNO(ENOENT);
	f->bad = r == POGO_ERR_ERRNO(EINVAL) || r == POGO_ERR_LIMIT;
	if (r == 0) {
		f->whole = strlen(f->buf) == len;
		cur = f->buf;
		while ((line = pogo_str_next_line(&cur)) != NULL) {
			f->lines = xreallocarray(
			    f->lines, f->n + 1, sizeof(*f->lines));
			f->lines[f->n++] = line;
		}
	}
	f->next = c->files;
	c->files = f;
out:
	uv_mutex_unlock(&c->lock);
	return f;
}

/*
 * The next token of *sp (libssh's and OpenSSH's rules: blanks or one '='
 * separate, "..." quotes); NULL at the end of the line.  Cuts in *buf.
 */
static char *
ssh_config_token(char **sp)
{
	char *s = *sp, *tok;

	while (*s == ' ' || *s == '\t' || *s == '=')
		s++;
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	if (*s == '"') {
		tok = ++s;
		while (*s != '\0' && *s != '"')
			s++;
	} else {
		tok = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '=')
			s++;
	}
	if (*s != '\0')
		*s++ = '\0';
	*sp = s;
	return tok;
}

/* OpenSSH's match_pattern: * and ?, optionally without case. */
static bool
ssh_config_glob(const char *s, const char *p, size_t plen, bool nocase)
{
	for (;;) {
		if (plen == 0)
			return *s == '\0';
		if (*p == '*') {
			p++;
			plen--;
			if (plen == 0)
				return true;
			for (; *s != '\0'; s++)
				if (ssh_config_glob(s, p, plen, nocase))
					return true;
			return false;
		}
		if (*s == '\0')
			return false;
		if (*p != '?' &&
		    (nocase ? tolower((unsigned char)*p) !=
		                tolower((unsigned char)*s)
		            : *p != *s))
			return false;
		s++;
		p++;
		plen--;
	}
}

/* OpenSSH's match_pattern_list: 1 match, 0 none, -1 a negated match. */
static int
ssh_config_match_list(const char *s, const char *list, bool nocase)
{
	const char *p = list, *end;
	bool neg, got = false;
	size_t len;

	if (s == NULL)
		return 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		neg = len > 0 && *p == '!';
		if (ssh_config_glob(s, p + neg, len - neg, nocase)) {
			if (neg)
				return -1;
			got = true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return got ? 1 : 0;
}

char *
pogo_ssh_config_expand(const char *v, const struct pogo_ssh_config_host *h)
{
	char *out = NULL, *tmp, num[32];
	const char *add;
	size_t len = 0, cap = 0, n;

	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		out = xstrdup(h->home);
		len = cap = strlen(out);
		v++;
	}
	for (; *v != '\0'; v++) {
		add = NULL;
		n = 1;
		if (*v == '%') {
			v++;
			switch (*v) {
			case '%':
				add = "%";
				break;
			case 'd':
				add = h->home;
				break;
			case 'h':
				add = h->hostname;
				break;
			case 'n':
				add = h->name;
				break;
			case 'r':
				add = h->user;
				break;
			case 'u':
				add = h->local_user;
				break;
			case 'l':
				add = h->local_host;
				break;
			case 'L':
				snprintf(num, sizeof(num), "%.*s",
				    (int)strcspn(h->local_host, "."),
				    h->local_host);
				add = num;
				break;
			case 'p':
				snprintf(num, sizeof(num), "%u", h->port);
				add = num;
				break;
			case 'i':
				snprintf(num, sizeof(num), "%lu",
				    (unsigned long)getuid());
				add = num;
				break;
			default:
				free(out);
				return NULL;
			}
			n = strlen(add);
		}
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			tmp = xreallocarray(out, cap, 1);
			out = tmp;
		}
		memcpy(out + len, add != NULL ? add : v, n);
		len += n;
	}
	if (out == NULL)
		out = xstrdup("");
	else
		out[len] = '\0';
	return out;
}

/*
 * Run a "Match exec" command with the user's shell ($SHELL, else /bin/sh,
 * as OpenSSH and libssh do); true when it exits 0.
 */
static bool
ssh_config_exec(char *cmd)
{
	const char *shell = getenv("SHELL");
	char c[] = "-c", *argv[4];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = -1;

	if (shell == NULL || *shell == '\0')
		shell = "/bin/sh";
	argv[0] = (char *)shell;
	argv[1] = c;
	argv[2] = cmd;
	argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, shell, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return false;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The final host name: the caller's, else the name as given. */
static const char *
ssh_config_final_host(const struct pogo_ssh_config_host *h)
{
	return h->hostname != NULL ? h->hostname : h->name;
}

/*
 * The host as a Match line sees it at this point of the file: HostName,
 * Port and User so far (OpenSSH: 22 and the local user until set).
 */
static void
ssh_config_so_far(
    const struct ssh_config_eval *e, struct pogo_ssh_config_host *cur)
{
	const struct pogo_ssh_config_host *h = e->h;

	*cur = *h;
	cur->hostname = e->final_pass || e->hostname_set
	    ? ssh_config_final_host(h)
	    : h->name;
	/* Port and User may first be set in the second reading. */
	if (!e->port_set && !h->port_given)
		cur->port = 22;
	if (!e->user_set && !h->user_given)
		cur->user =
		    h->default_user != NULL ? h->default_user : h->local_user;
}

/*
 * Can a line of this keyword change what this module gives?  HostName,
 * Port and User only until the first one applies, and only when the final
 * value differs from the one before it: they change what a later Match
 * line sees.
 */
static bool
ssh_config_keyword_matters(const struct ssh_config_eval *e, const char *kw)
{
	const struct pogo_ssh_config_host *h = e->h;

	if (strcasecmp(kw, "identityfile") == 0 ||
	    strcasecmp(kw, "identitiesonly") == 0 ||
	    strcasecmp(kw, "include") == 0)
		return true;
	if (strcasecmp(kw, "hostname") == 0)
		return !e->final_pass && !e->hostname_set && h->name != NULL &&
		    strcasecmp(ssh_config_final_host(h), h->name) != 0;
	if (strcasecmp(kw, "port") == 0)
		return !e->port_set && !h->port_given && h->port != 22;
	if (strcasecmp(kw, "user") == 0)
		return !e->user_set && !h->user_given && h->user != NULL &&
		    h->local_user != NULL &&
		    strcmp(h->user,
		        h->default_user != NULL ? h->default_user
		                                : h->local_user) != 0;
	return false;
}

/* Does the block after line i hold a keyword that matters? */
static bool
ssh_config_block_matters(
    const struct ssh_config_eval *e, const struct ssh_config_file *f, size_t i)
{
	char *copy, *s, *kw;
	bool hit = false, end = false;

	for (i++; i < f->n && !hit && !end; i++) {
		copy = s = xstrdup(f->lines[i]);
		if ((kw = ssh_config_token(&s)) != NULL) {
			if (strcasecmp(kw, "host") == 0 ||
			    strcasecmp(kw, "match") == 0)
				end = true;
			else
				hit = ssh_config_keyword_matters(e, kw);
		}
		free(copy);
	}
	return hit;
}

/*
 * A Match line: every criterion must hold (OpenSSH's match_cfg_line).
 * With eval false, only notes whether it names "final" (which OpenSSH
 * does for every Match line it reads, whatever its other criteria).
 */
static bool
ssh_config_match(struct ssh_config_eval *e, char *s, bool eval)
{
	struct pogo_ssh_config_host cur;
	char *kw, *arg, *cmd;
	bool neg, ok, all = true;

	ssh_config_so_far(e, &cur);
	while ((kw = ssh_config_token(&s)) != NULL) {
		neg = kw[0] == '!';
		kw += neg;
		if (strcasecmp(kw, "all") == 0)
			ok = true;
		else if (strcasecmp(kw, "canonical") == 0 ||
		    strcasecmp(kw, "final") == 0) {
			if (strcasecmp(kw, "final") == 0)
				e->want_final = true;
			ok = e->final_pass;
		} else if ((arg = ssh_config_token(&s)) == NULL)
			return false;
		else if (!all || !eval)
			continue; /* exec is skipped after a failure (OpenSSH) */
		else if (strcasecmp(kw, "host") == 0)
			ok =
			    ssh_config_match_list(cur.hostname, arg, true) == 1;
		else if (strcasecmp(kw, "originalhost") == 0)
			ok = ssh_config_match_list(cur.name, arg, true) == 1;
		else if (strcasecmp(kw, "user") == 0)
			ok = ssh_config_match_list(cur.user, arg, false) == 1;
		else if (strcasecmp(kw, "localuser") == 0)
			ok = ssh_config_match_list(
			         cur.local_user, arg, false) == 1;
		else if (strcasecmp(kw, "exec") == 0) {
			if ((cmd = pogo_ssh_config_expand(arg, &cur)) == NULL)
				return false;
			ok = ssh_config_exec(cmd);
			free(cmd);
		} else
			return false;
		if (ok == neg)
			all = false;
	}
	return eval && all;
}

static void ssh_config_eval_file(
    struct ssh_config_eval *e, const char *path, int depth, bool *parsing);

/* Include: every file of every glob, relative to ~/.ssh. */
static void
ssh_config_include(struct ssh_config_eval *e, char *s, int depth, bool *parsing)
{
	char *arg, *pat;
	glob_t g;
	size_t i;

	while ((arg = ssh_config_token(&s)) != NULL) {
		if (arg[0] == '/')
			pat = xstrdup(arg);
		else if (arg[0] == '~' && arg[1] == '/')
			xasprintf(&pat, "%s%s", e->h->home, arg + 1);
		else
			xasprintf(&pat, "%s/%s", e->c->sshdir, arg);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (i = 0; i < g.gl_pathc; i++)
				ssh_config_eval_file(
				    e, g.gl_pathv[i], depth + 1, parsing);
			globfree(&g);
		}
		free(pat);
	}
}

static void
ssh_config_eval_file(
    struct ssh_config_eval *e, const char *path, int depth, bool *parsing)
{
	struct ssh_config_file *f;
	char *copy, *s, *kw, *arg, *file;
	const char *name;
	size_t i, j;
	int m;

	if (depth > SSH_CONFIG_MAX_DEPTH)
		return;
	f = ssh_config_file(e->c, path);
	for (i = 0; i < f->n && e->r == 0; i++) {
		copy = s = xstrdup(f->lines[i]);
		kw = ssh_config_token(&s);
		if (kw == NULL || kw[0] == '#')
			goto next;
		if (strcasecmp(kw, "host") == 0) {
			*parsing = false;
			/* The second reading matches the final name. */
			name = e->final_pass ? ssh_config_final_host(e->h)
			                     : e->h->name;
			while ((arg = ssh_config_token(&s)) != NULL) {
				m = ssh_config_match_list(name, arg, true);
				if (m < 0) {
					*parsing = false;
					break;
				}
				if (m > 0)
					*parsing = true;
			}
		} else if (strcasecmp(kw, "match") == 0) {
			*parsing = ssh_config_match(
			    e, s, ssh_config_block_matters(e, f, i));
		} else if (!*parsing)
			;
		else if (strcasecmp(kw, "hostname") == 0)
			e->hostname_set = true;
		else if (strcasecmp(kw, "port") == 0)
			e->port_set = true;
		else if (strcasecmp(kw, "user") == 0)
			e->user_set = true;
		else if (strcasecmp(kw, "include") == 0)
			ssh_config_include(e, s, depth, parsing);
		else if (strcasecmp(kw, "identitiesonly") == 0) {
			arg = ssh_config_token(&s);
			if (!e->only_seen && arg != NULL) {
				e->only_seen = true;
				*e->only = strcasecmp(arg, "yes") == 0;
			}
		} else if (strcasecmp(kw, "identityfile") == 0 &&
		    (arg = ssh_config_token(&s)) != NULL) {
			if ((file = pogo_ssh_config_expand(arg, e->h)) ==
			    NULL) {
				xasprintf(e->cause,
				    "%s line %zu: unknown %%-token in "
				    "IdentityFile %s",
				    path, i + 1, arg);
				e->r = POGO_ERR_CONFIG;
				goto next;
			}
			for (j = 0; j < e->files->n; j++)
				if (strcmp(e->files->v[j], file) == 0)
					break;
			if (j < e->files->n)
				free(file);
			else
				pogo_strv_take(e->files, file);
		}
	next:
		free(copy);
	}
}

int
pogo_ssh_config_identities(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, struct pogo_strv *files, bool *only,
    char **cause)
{
	struct ssh_config_eval e;
	bool parsing = true;

	*only = false;
	*cause = NULL;
	if (c->path == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	e.c = c;
	e.h = h;
	e.files = files;
	e.only = only;
	e.cause = cause;
	ssh_config_eval_file(&e, c->path, 0, &parsing);
	if (e.want_final && e.r == 0) {
		e.final_pass = true;
		parsing = true;
		ssh_config_eval_file(&e, c->path, 0, &parsing);
	}
	return e.r;
}

static void
ssh_config_static_file(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, const char *path, int depth,
    struct pogo_strv *files)
{
	struct ssh_config_file *f;
	char *copy, *s, *kw, *arg, *file, *pat;
	glob_t g;
	size_t i, j;

	if (depth > SSH_CONFIG_MAX_DEPTH)
		return;
	f = ssh_config_file(c, path);
	for (i = 0; i < f->n; i++) {
		copy = s = xstrdup(f->lines[i]);
		kw = ssh_config_token(&s);
		if (kw != NULL && strcasecmp(kw, "include") == 0) {
			while ((arg = ssh_config_token(&s)) != NULL) {
				if (arg[0] == '/')
					pat = xstrdup(arg);
				else if (arg[0] == '~' && arg[1] == '/')
					xasprintf(
					    &pat, "%s%s", h->home, arg + 1);
				else
					xasprintf(
					    &pat, "%s/%s", c->sshdir, arg);
				if (glob(pat, 0, NULL, &g) == 0) {
					for (j = 0; j < g.gl_pathc; j++)
						ssh_config_static_file(c, h,
						    g.gl_pathv[j], depth + 1,
						    files);
					globfree(&g);
				}
				free(pat);
			}
		} else if (kw != NULL && strcasecmp(kw, "identityfile") == 0 &&
		    (arg = ssh_config_token(&s)) != NULL &&
		    strstr(arg, "%h") == NULL && strstr(arg, "%n") == NULL &&
		    strstr(arg, "%p") == NULL && strstr(arg, "%r") == NULL &&
		    (file = pogo_ssh_config_expand(arg, h)) != NULL) {
			for (j = 0; j < files->n; j++)
				if (strcmp(files->v[j], file) == 0)
					break;
			if (j < files->n)
				free(file);
			else
				pogo_strv_take(files, file);
		}
		free(copy);
	}
}

int
pogo_ssh_config_check_includes(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, char **cause)
{
	struct pogo_strv files = { 0 };
	struct ssh_config_file *f;
	int r = 0;

	*cause = NULL;
	if (c->path == NULL)
		return 0;
	ssh_config_static_file(c, h, c->path, 0, &files);
	pogo_strv_clear(&files);
	uv_mutex_lock(&c->lock);
	for (f = c->files; f != NULL && r == 0; f = f->next)
		if (f->bad)
			r = ssh_config_not_regular(f->path, cause);
	uv_mutex_unlock(&c->lock);
	return r;
}

/*
 * Whether a line keeps a host's settings to the file's text, with no
 * file read, command run or user database asked: not Include, "Match
 * exec" or "Match localuser" (either negated too: libssh asks getpwuid
 * for the local user), an IdentityFile with a %-token, a %u anywhere
 * (libssh's expansion of the local user), or a line longer than libssh's
 * reader of text takes (1,023 bytes; its file reader splits one).
 */
static bool
ssh_config_line_plain(const char *line)
{
	char *copy, *s, *kw, *arg;
	bool plain = true;

	if (strlen(line) >= 1024 || strstr(line, "%u") != NULL)
		return false;
	copy = s = xstrdup(line);
	kw = ssh_config_token(&s);
	if (kw == NULL) {
		/* nothing */
	} else if (strcasecmp(kw, "include") == 0) {
		plain = false;
	} else if (strcasecmp(kw, "match") == 0) {
		while (plain && (arg = ssh_config_token(&s)) != NULL) {
			arg += arg[0] == '!';
			if (strcasecmp(arg, "exec") == 0 ||
			    strcasecmp(arg, "localuser") == 0)
				plain = false;
		}
	} else if (strcasecmp(kw, "identityfile") == 0) {
		plain = strchr(s, '%') == NULL;
	}
	free(copy);
	return plain;
}

char *
pogo_ssh_config_plain(struct pogo_ssh_config *c)
{
	struct ssh_config_file *f;
	size_t i, len = 1, off = 0;
	char *text;

	if (c->path == NULL)
		return xstrdup("");
	/* libssh expands ~ and %-tokens in the file's name: its reading. */
	if (c->path[0] == '~' || strchr(c->path, '%') != NULL)
		return NULL;
	f = ssh_config_file(c, c->path);
	/* libssh skips a file it cannot open: ~/.ssh/config, mostly. */
	if (f->missing)
		return xstrdup("");
	if (!f->whole)
		return NULL;
	for (i = 0; i < f->n; i++) {
		if (!ssh_config_line_plain(f->lines[i]))
			return NULL;
		len += strlen(f->lines[i]) + 1;
		if (len > SSH_CONFIG_MAX_PLAIN)
			return NULL;
	}
	text = xmalloc(len);
	for (i = 0; i < f->n; i++) {
		len = strlen(f->lines[i]);
		memcpy(text + off, f->lines[i], len);
		off += len;
		text[off++] = '\n';
	}
	text[off] = '\0';
	return text;
}

void
pogo_ssh_config_static_files(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, struct pogo_strv *files)
{
	if (c->path != NULL)
		ssh_config_static_file(c, h, c->path, 0, files);
}
