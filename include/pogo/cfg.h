/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to libcyaml, for pogo's schema-shaped files (daemon
 * settings, job files): src/cfg.c is the only file that includes it.  So
 * far it reports the version; the daemon configuration arrives with the
 * daemons.
 */
#ifndef POGO_CFG_H
#define POGO_CFG_H

/* libcyaml's version string. */
const char *pogo_cfg_version(void);

#endif
