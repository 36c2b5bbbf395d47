#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# t_35 (three tracers, a client holding 1000 connections killed with
# SIGKILL) for the ten rounds issue 13 asks for; make test runs three.
# About 10 s a round on the development machine (2 CPUs), more when busy.
TL_ROUNDS=${TL_ROUNDS:-10}
source "$(dirname "$0")/../t_35_kill_1000_three_tracers.sh"
