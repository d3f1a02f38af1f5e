/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Functions pogo never calls.  Each is redefined to an undeclared name, so a
 * use fails to compile.  The replacements are listed in STYLE.md 10.9:
 * strlcpy or xasprintf for the string calls, pogo_strtonum for atoi and its
 * kin, uv_random for rand, uv_spawn for system and popen, mkstemp for
 * mktemp and tmpnam, the _r variants for the time calls.
 */
#ifndef POGO_BANNED_H
#define POGO_BANNED_H

#define POGO_BANNED(func) sorry_##func##_is_banned_in_pogo

#undef strcpy
#define strcpy(x, y) POGO_BANNED(strcpy)
#undef strcat
#define strcat(x, y) POGO_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) POGO_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) POGO_BANNED(strncat)
#undef sprintf
#define sprintf(...) POGO_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) POGO_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) POGO_BANNED(strtok)
#undef gets
#define gets(x) POGO_BANNED(gets)
#undef atoi
#define atoi(x) POGO_BANNED(atoi)
#undef atol
#define atol(x) POGO_BANNED(atol)
#undef atof
#define atof(x) POGO_BANNED(atof)
#undef rand
#define rand() POGO_BANNED(rand)
#undef srand
#define srand(x) POGO_BANNED(srand)
#undef system
#define system(x) POGO_BANNED(system)
#undef popen
#define popen(x, y) POGO_BANNED(popen)
#undef mktemp
#define mktemp(x) POGO_BANNED(mktemp)
#undef tmpnam
#define tmpnam(x) POGO_BANNED(tmpnam)
#undef localtime
#define localtime(x) POGO_BANNED(localtime)
#undef gmtime
#define gmtime(x) POGO_BANNED(gmtime)
#undef ctime
#define ctime(x) POGO_BANNED(ctime)
#undef asctime
#define asctime(x) POGO_BANNED(asctime)
#undef alloca
#define alloca(x) POGO_BANNED(alloca)

#endif
