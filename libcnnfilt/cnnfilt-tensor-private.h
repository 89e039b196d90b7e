/* cnnfilt-tensor-private.h: what the library's own files share about tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The machine's memory in bytes: the most one tensor, or one graph's
 * buffers, may ask for. */
G_GNUC_INTERNAL
gsize _cnnfilt_physical_memory (void);
