/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* pogo's own version. */
#ifndef POGO_VERSION_H
#define POGO_VERSION_H

#define POGO_VERSION "0.1.0"

#endif
