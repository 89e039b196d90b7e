/* conv2d-gemm.c: conv2d's own paths: im2col and sgemm, depthwise, reference
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gemm: depthwise convolutions by a direct loop over a padded plane; the
 * rest as matrix products per group, out (O/g × P) = W (O/g × K) · cols
 * (K × P), with K = C/g·kh·kw taps and P output pixels (oneDNN's sgemm).
 * The columns are gathered (im2col) one band of output rows at a time so
 * the buffer stays in cache; a 1×1 stride-1 convolution reads the input
 * directly. Bias and clamp are applied to each band while it is hot.
 * reference: the textbook seven nested loops, kept to check the others.
 */
#include "conv2d.h"

#include <string.h>

static inline gfloat
clamp (gfloat v, gfloat lo, gfloat hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

void
conv_run_reference (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in, guint n_images,
                    guint c, gfloat *out, guint o)
{
  const gfloat *w = cnnfilt_tensor_get_data (conv->weights, NULL);
  const gfloat *b = conv->bias ? cnnfilt_tensor_get_data (conv->bias, NULL) : NULL;
  guint cg = c / conv->groups, og = o / conv->groups;
  for (guint n = 0; n < n_images; n++)
    for (guint oc = 0; oc < o; oc++)
      {
        guint g = oc / og;
        for (guint y = 0; y < p->out_h; y++)
          for (guint x = 0; x < p->out_w; x++)
            {
              gfloat sum = b ? b[oc] : 0.0f;
              for (guint ic = 0; ic < cg; ic++)
                for (gint i = 0; i < p->kernel_h; i++)
                  {
                    gint iy = (gint) y * p->stride_h - p->pad_top + i * p->dilation_h;
                    if (iy < 0 || iy >= (gint) p->in_h)
                      continue;
                    for (gint j = 0; j < p->kernel_w; j++)
                      {
                        gint ix = (gint) x * p->stride_w - p->pad_left + j * p->dilation_w;
                        if (ix < 0 || ix >= (gint) p->in_w)
                          continue;
                        sum += w[((gsize) (oc * cg + ic) * p->kernel_h + i) * p->kernel_w + j] *
                               in[(((gsize) n * c + g * cg + ic) * p->in_h + iy) * p->in_w + ix];
                      }
                  }
              out[(((gsize) n * o + oc) * p->out_h + y) * p->out_w + x] =
                  clamp (sum, conv->clamp_min, conv->clamp_max);
            }
      }
}

/* Depthwise: each channel convolved with its own kernel, through a padded
 * copy of the plane so the inner loop has no bounds checks. */
static void
conv_depthwise (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in, guint n_images,
                guint c, gfloat *out, gfloat *padded)
{
  const gfloat *w = cnnfilt_tensor_get_data (conv->weights, NULL);
  const gfloat *b = conv->bias ? cnnfilt_tensor_get_data (conv->bias, NULL) : NULL;
  gsize ph = p->in_h + p->pad_top + p->pad_bottom, pw = p->in_w + p->pad_left + p->pad_right;
  memset (padded, 0, ph * pw * sizeof (gfloat));
  gsize out_plane = (gsize) p->out_h * p->out_w;
  for (guint n = 0; n < n_images; n++)
    for (guint ch = 0; ch < c; ch++)
      {
        const gfloat *src = in + ((gsize) n * c + ch) * p->in_h * p->in_w;
        for (guint y = 0; y < p->in_h; y++)
          memcpy (padded + (y + p->pad_top) * pw + p->pad_left, src + (gsize) y * p->in_w,
                  p->in_w * sizeof (gfloat));
        const gfloat *k = w + (gsize) ch * p->kernel_h * p->kernel_w;
        gfloat *dst = out + ((gsize) n * c + ch) * out_plane;
        gfloat bias = b ? b[ch] : 0.0f;
        for (guint y = 0; y < p->out_h; y++)
          {
            gfloat *row = dst + (gsize) y * p->out_w;
            for (guint x = 0; x < p->out_w; x++)
              row[x] = bias;
            for (gint i = 0; i < p->kernel_h; i++)
              {
                const gfloat *line = padded + ((gsize) y * p->stride_h + i * p->dilation_h) * pw;
                for (gint j = 0; j < p->kernel_w; j++)
                  {
                    const gfloat kv = k[i * p->kernel_w + j];
                    const gfloat *s = line + j * p->dilation_w;
                    if (p->stride_w == 1)
                      for (guint x = 0; x < p->out_w; x++)
                        row[x] += kv * s[x];
                    else
                      for (guint x = 0; x < p->out_w; x++)
                        row[x] += kv * s[(gsize) x * p->stride_w];
                  }
              }
            for (guint x = 0; x < p->out_w; x++)
              row[x] = clamp (row[x], conv->clamp_min, conv->clamp_max);
          }
      }
}

/* Gathers the K × (rows · out_w) column band for output rows [y0, y0+rows). */
static void
im2col_band (const CnnfiltWindowPlan *p, const gfloat *in, guint cg, guint y0, guint rows, gfloat *cols)
{
  gsize band = (gsize) rows * p->out_w;
  for (guint ic = 0; ic < cg; ic++)
    for (gint i = 0; i < p->kernel_h; i++)
      for (gint j = 0; j < p->kernel_w; j++)
        {
          gfloat *dst = cols + (((gsize) ic * p->kernel_h + i) * p->kernel_w + j) * band;
          const gfloat *plane = in + (gsize) ic * p->in_h * p->in_w;
          for (guint r = 0; r < rows; r++)
            {
              gint iy = (gint) (y0 + r) * p->stride_h - p->pad_top + i * p->dilation_h;
              gfloat *d = dst + (gsize) r * p->out_w;
              if (iy < 0 || iy >= (gint) p->in_h)
                {
                  memset (d, 0, p->out_w * sizeof (gfloat));
                  continue;
                }
              const gfloat *line = plane + (gsize) iy * p->in_w;
              gint x0 = j * p->dilation_w - p->pad_left;
              for (guint x = 0; x < p->out_w; x++)
                {
                  gint ix = x0 + (gint) x * p->stride_w;
                  d[x] = ix >= 0 && ix < (gint) p->in_w ? line[ix] : 0.0f;
                }
            }
        }
}

static void
epilogue (const ConvParams *conv, gfloat *out, gsize ld, guint og, gsize count, const gfloat *b)
{
  const gfloat lo = conv->clamp_min, hi = conv->clamp_max;
  for (guint oc = 0; oc < og; oc++)
    {
      gfloat *row = out + oc * ld;
      const gfloat bias = b ? b[oc] : 0.0f;
      for (gsize x = 0; x < count; x++)
        row[x] = clamp (row[x] + bias, lo, hi);
    }
}

static void
conv_gemm (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in, guint n_images, guint c,
           gfloat *out, guint o, guint band_rows, gfloat *cols)
{
  const gfloat *w = cnnfilt_tensor_get_data (conv->weights, NULL);
  const gfloat *b = conv->bias ? cnnfilt_tensor_get_data (conv->bias, NULL) : NULL;
  guint groups = conv->groups, cg = c / groups, og = o / groups;
  gsize k = (gsize) cg * p->kernel_h * p->kernel_w;
  gsize out_plane = (gsize) p->out_h * p->out_w, in_plane = (gsize) p->in_h * p->in_w;
  gboolean direct = p->kernel_h == 1 && p->kernel_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
                    p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
  for (guint n = 0; n < n_images; n++)
    for (guint g = 0; g < groups; g++)
      {
        const gfloat *src = in + ((gsize) n * c + (gsize) g * cg) * in_plane;
        gfloat *dst = out + ((gsize) n * o + (gsize) g * og) * out_plane;
        const gfloat *wg = w + (gsize) g * og * k;
        const gfloat *bg = b ? b + (gsize) g * og : NULL;
        if (direct)
          {
            onednn_sgemm (FALSE, FALSE, og, out_plane, k, 1.0f, wg, k, src, in_plane, 0.0f, dst,
                          out_plane);
            epilogue (conv, dst, out_plane, og, out_plane, bg);
            continue;
          }
        for (guint y0 = 0; y0 < p->out_h; y0 += band_rows)
          {
            guint rows = MIN (band_rows, p->out_h - y0);
            gsize band = (gsize) rows * p->out_w;
            im2col_band (p, src, cg, y0, rows, cols);
            gfloat *d = dst + (gsize) y0 * p->out_w;
            onednn_sgemm (FALSE, FALSE, og, band, k, 1.0f, wg, k, cols, band, 0.0f, d,
                          out_plane);
            epilogue (conv, d, out_plane, og, band, bg);
          }
      }
}

/* @values floats of the thread's scratch (layer_scratch), or an error */
static gfloat *
conv_scratch (gsize values, GError **error)
{
  gfloat *cols = layer_scratch (0, values * sizeof (gfloat));
  if (cols == NULL)
    g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                 "conv2d: out of memory for %" G_GSIZE_FORMAT " scratch values", values);
  return cols;
}

gboolean
conv_run_gemm (const ConvParams *conv, const CnnfiltWindowPlan *p, const gfloat *in, guint n_images,
               guint c, gfloat *out, guint o, GError **error)
{
  gfloat *cols;
  if (conv->groups == (gint) c && o == c)
    {
      gsize padded = (gsize) (p->in_h + p->pad_top + p->pad_bottom) *
                     (p->in_w + p->pad_left + p->pad_right);
      if ((cols = conv_scratch (padded, error)) == NULL)
        return FALSE;
      conv_depthwise (conv, p, in, n_images, c, out, cols);
      return TRUE;
    }
  /* Bands of about 64k column values (256 KiB) per gemm call, at least one row. */
  gsize k = (gsize) (c / conv->groups) * p->kernel_h * p->kernel_w;
  guint band_rows = CLAMP ((65536 / MAX (k * p->out_w, 1)), 1, p->out_h);
  if ((cols = conv_scratch (k * band_rows * p->out_w, error)) == NULL)
    return FALSE;
  conv_gemm (conv, p, in, n_images, c, out, o, band_rows, cols);
  return TRUE;
}
