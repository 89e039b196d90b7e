/* cnnfilt-error.c
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-error.h"

G_DEFINE_QUARK (cnnfilt-error-quark, cnnfilt_error)
