/* cnnfilt-png-private.h: a fast 8-bit PNG writer on libdeflate (private, not installed)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes interleaved 8-bit pixels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA channels) as a PNG file.
 * Rows are @stride bytes apart, each @width * @channels bytes long.
 * level: 0-12 libdeflate level (-1 maps to 6).
 * Returns FALSE with a GError (domain G_FILE_ERROR, message without the path
 * prefix) on failure; a partial file may then be left at @path, so callers
 * write under a temporary name and remove it. Safe to call from several
 * threads at once. */
G_GNUC_INTERNAL
gboolean cnnfilt_png_write (const guint8 *pixels, guint width, guint height, guint channels,
                            gsize stride, gint level, const gchar *path, GError **error);

G_END_DECLS
