/* scratch.h: per-thread scratch memory of the cnn plugin's ops
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Scratch memory shared by every op that runs in the calling thread,
 * grown to @bytes and kept: ops of a graph run one after another, so they
 * can share it, which keeps a graph's peak memory to its own buffers.
 * Slots 0 and 1 are two independent areas (an op's input and output
 * copies), slot LAYER_SCRATCH_ONEDNN oneDNN's scratchpad. NULL if the
 * memory cannot be had. */
#define LAYER_SCRATCH_ONEDNN 2
#define LAYER_SCRATCH_SLOTS 3
gpointer layer_scratch (guint slot, gsize bytes);

G_END_DECLS
