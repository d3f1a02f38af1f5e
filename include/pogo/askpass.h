/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Asking the user for a password or a passphrase (SPEC 12.1): the one
 * prompt of pogo one -p, pogo submit -p and -i, pogo resume and retry -p,
 * and pogo ca issue --p12.
 */
#ifndef POGO_ASKPASS_H
#define POGO_ASKPASS_H

/* The longest answer kept, in bytes; the rest of the line is dropped. */
#define POGO_ASKPASS_MAX 1023

/*
 * Read a secret after prompt: from the terminal (/dev/tty) with echo off
 * when stdin is a terminal, else one line of stdin without a prompt.  The
 * terminal's modes come back even when a signal (Ctrl-C, a hangup) ends
 * the prompt; the signal is then delivered again, to its old handler, as
 * OpenSSH's readpassphrase() does; a stop (Ctrl-Z) asks again once
 * continued.  Returns the line without its end (never NULL), freed by the
 * caller with pogo_freezero(s, strlen(s)).  Blocks: call it before the
 * loop runs.
 */
char *pogo_askpass(const char *prompt);

#endif
