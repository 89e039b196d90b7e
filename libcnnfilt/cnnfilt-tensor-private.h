/* cnnfilt-tensor-private.h: what the library's own files share about tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The machine's memory in bytes: the most one tensor, or one graph's
 * buffers, may ask for. */
G_GNUC_INTERNAL
gsize _cnnfilt_physical_memory (void);

/* Memory for *@bytes, aligned to 64 bytes, or from 4 MiB on to 2 MiB and
 * marked for transparent huge pages; *@bytes is rounded up to what was
 * reserved. Released with free(); NULL when it cannot be had. */
G_GNUC_INTERNAL
gpointer _cnnfilt_alloc_large (gsize *bytes);
