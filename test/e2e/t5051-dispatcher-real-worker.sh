#!/bin/sh
# t5050 with the real `pogo worker` running local tasks: a job waits for a
# worker, then runs on it; output stored; a failing command fails its host.
T5050_REAL_WORKER=1
export T5050_REAL_WORKER
. "$(dirname "$0")/t5050-dispatcher-runs-jobs.sh"
