/* cnnfilt-pixbuf.c: tensors to and from GdkPixbuf, for GNOME programs that
 * filter what they display
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-pixbuf.h"
#include "cnnfilt-error.h"

#include <math.h>

/**
 * cnnfilt_tensor_new_from_pixbuf:
 * @pixbuf: an 8-bit RGB or RGBA pixbuf
 * @error: return location for a #GError
 *
 * The pixbuf's pixels as a 1 × channels × height × width tensor of values
 * in [0, 1] (value / 255), as cnnfilt_image_load() gives an 8-bit image;
 * alpha is kept as the fourth channel.
 *
 * Returns: (transfer full): a new tensor, or %NULL for a pixbuf that is not
 *   8 bits per sample
 */
CnnfiltTensor *
cnnfilt_tensor_new_from_pixbuf (GdkPixbuf *pixbuf, GError **error)
{
  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);
  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 ||
      gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "a pixbuf of %d bits per sample: only 8-bit RGB pixbufs are read",
                   gdk_pixbuf_get_bits_per_sample (pixbuf));
      return NULL;
    }
  guint w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);
  guint c = gdk_pixbuf_get_n_channels (pixbuf);
  gsize stride = gdk_pixbuf_get_rowstride (pixbuf);
  CnnfiltTensor *tensor = cnnfilt_tensor_new (1, c, h, w, error);
  if (tensor == NULL)
    return NULL;
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  for (guint k = 0; k < c; k++)
    {
      gfloat *plane = cnnfilt_tensor_get_plane (tensor, 0, k);
      for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++)
          plane[(gsize) y * w + x] = pixels[y * stride + (gsize) x * c + k] / 255.0f;
    }
  return tensor;
}

/**
 * cnnfilt_tensor_to_pixbuf:
 * @tensor: an image tensor of batch 1: one channel (grey, repeated to RGB),
 *   three (RGB) or four (RGBA)
 * @error: return location for a #GError
 *
 * The tensor as a pixbuf for display: values in [0, 1] mapped to 0–255,
 * rounded, and clamped (normalize signed responses first).
 *
 * Returns: (transfer full): a new pixbuf, or %NULL with @error set for
 *   another shape
 */
GdkPixbuf *
cnnfilt_tensor_to_pixbuf (CnnfiltTensor *tensor, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (tensor, &s);
  if (s.n != 1 || (s.c != 1 && s.c != 3 && s.c != 4) || s.w > G_MAXINT / 4 || s.h > G_MAXINT)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&s);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "a tensor of shape %s is no image: a pixbuf takes batch 1 and 1, 3 or 4 "
                   "channels", text);
      return NULL;
    }
  gboolean alpha = s.c == 4;
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, s.w, s.h);
  if (pixbuf == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "out of memory for a %ux%u pixbuf",
                   s.w, s.h);
      return NULL;
    }
  guint out_c = alpha ? 4 : 3;
  gsize stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  for (guint k = 0; k < out_c; k++)
    {
      const gfloat *plane = cnnfilt_tensor_get_plane (tensor, 0, s.c == 1 ? 0 : k);
      for (guint y = 0; y < s.h; y++)
        for (guint x = 0; x < s.w; x++)
          {
            gfloat v = plane[(gsize) y * s.w + x];
            v = isnan (v) ? 0.0f : CLAMP (v, 0.0f, 1.0f);
            pixels[y * stride + (gsize) x * out_c + k] = (guint8) lrintf (v * 255.0f);
          }
    }
  return pixbuf;
}
