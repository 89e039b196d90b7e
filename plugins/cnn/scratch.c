/* scratch.c: per-thread scratch memory of the cnn plugin's ops
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "scratch.h"

typedef struct {
  gpointer data[LAYER_SCRATCH_SLOTS];
  gsize size[LAYER_SCRATCH_SLOTS];
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *scratch = data;
  for (guint i = 0; i < G_N_ELEMENTS (scratch->data); i++)
    g_free (scratch->data[i]);
  g_free (scratch);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

gpointer
layer_scratch (guint slot, gsize bytes)
{
  g_return_val_if_fail (slot < LAYER_SCRATCH_SLOTS, NULL);
  Scratch *scratch = g_private_get (&scratch_key);
  if (scratch == NULL)
    {
      scratch = g_new0 (Scratch, 1);
      g_private_set (&scratch_key, scratch);
    }
  if (bytes > scratch->size[slot])
    {
      g_free (scratch->data[slot]);
      /* 64-byte multiples from malloc; oneDNN wants no more alignment */
      scratch->data[slot] = g_try_malloc (bytes);
      scratch->size[slot] = scratch->data[slot] ? bytes : 0;
    }
  return scratch->data[slot];
}
