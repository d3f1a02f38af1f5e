/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The password prompt of SPEC 12.1 (askpass.h), after OpenSSH's
 * readpassphrase(3).
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "pogo/askpass.h"
#include "pogo/xmalloc.h"

/* The signal that interrupted the secret's prompt; 0 if none. */
static volatile sig_atomic_t askpass_signal;

static void
askpass_signal_cb(int sig)
{
	askpass_signal = sig;
}

/*
 * One line of fd into buf (without the newline, at most size - 1 bytes,
 * the rest of a longer line read and dropped), a byte at a time, unless a
 * signal comes first.
 */
static void
askpass_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	while (askpass_signal == 0) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 1 || c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	explicit_bzero(&c, sizeof(c));
}

char *
pogo_askpass(const char *prompt)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
		SIGTTIN, SIGTTOU };
	struct sigaction sa, old[POGO_NELEM(sigs)];
	struct termios t, saved;
	char buf[POGO_ASKPASS_MAX + 1], *pw;
	size_t len, i;
	bool noecho;
	int fd, sig;

	/*
	 * read(2), not stdio: no stream buffer keeps a copy of the secret.
	 * Echo goes off before the prompt is written, so nothing typed after
	 * the prompt appears is echoed or flushed.  A stop (Ctrl-Z) restores
	 * the terminal, stops, and asks again once continued, as
	 * readpassphrase(3) does; any other signal is delivered after the
	 * terminal is restored.
	 */
restart:
	noecho = false;
	askpass_signal = 0;
	if (isatty(STDIN_FILENO) &&
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) >= 0) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = askpass_signal_cb; /* no SA_RESTART */
		for (i = 0; i < POGO_NELEM(sigs); i++) {
			sigaction(sigs[i], &sa, &old[i]);
			if (old[i].sa_handler == SIG_IGN)
				sigaction(sigs[i], &old[i], NULL);
		}
		if (tcgetattr(fd, &t) == 0) {
			saved = t;
			t.c_lflag &= ~(tcflag_t)ECHO;
			noecho = tcsetattr(fd, TCSAFLUSH, &t) == 0;
		}
		(void)!write(fd, prompt, strlen(prompt));
		askpass_read_line(fd, buf, sizeof(buf));
		if (noecho)
			tcsetattr(fd, TCSAFLUSH, &saved);
		(void)!write(fd, "\n", 1);
		close(fd);
		for (i = 0; i < POGO_NELEM(sigs); i++)
			sigaction(sigs[i], &old[i], NULL);
		if ((sig = askpass_signal) != 0) {
			explicit_bzero(buf, sizeof(buf));
			kill(getpid(), sig);
			if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
				goto restart;
		}
	} else
		askpass_read_line(STDIN_FILENO, buf, sizeof(buf));
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	pw = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}
