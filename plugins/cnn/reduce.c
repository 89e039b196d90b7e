/* reduce.c: what reduce-mean, reduce-sum and reduce-max share: the axes,
 * the output shape, the loop and the OpenCL launch
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reduce.h"

#include <math.h>
#include <string.h>

/* The reduced dims as a mask (bit 0 n … bit 3 w); an empty `axes` is every
 * dim, or none with noop-with-empty-axes. */
static gboolean
reduce_mask (CnnfiltOp *op, guint *mask, GError **error)
{
  LayerReduce *self = (LayerReduce *) op;
  const gchar *text = self->axes ? self->axes : "";
  *mask = 0;
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  guint given = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gchar *part = g_strstrip (parts[i]);
      guint64 axis = 0;
      if (*part == '\0' && parts[1] == NULL)
        break; /* "" */
      if (!g_ascii_string_to_unsigned (part, 10, 0, 3, &axis, NULL) || (*mask & (1u << axis)))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "%s: axes '%s': expected distinct dims 0 to 3 (n, c, h, w), "
                       "comma-separated", cnnfilt_op_get_name (op), text);
          return FALSE;
        }
      *mask |= 1u << axis;
      given++;
    }
  if (given == 0 && !self->noop_with_empty_axes)
    *mask = 0xf;
  return TRUE;
}

gboolean
reduce_validate (CnnfiltOp *op, GError **error)
{
  guint mask;
  return reduce_mask (op, &mask, error);
}

/* The output with the reduced dims as 1 (@kept), and as the op writes it
 * (@out): without keepdims the reduced dims go and 1s fill in at the end. */
static void
reduce_shapes (CnnfiltOp *op, guint mask, const CnnfiltShape *in, CnnfiltShape *kept,
               CnnfiltShape *out)
{
  const guint d[4] = { in->n, in->c, in->h, in->w };
  guint k[4], o[4] = { 1, 1, 1, 1 }, j = 0;
  for (guint i = 0; i < 4; i++)
    {
      k[i] = mask & (1u << i) ? 1 : d[i];
      if (((LayerReduce *) op)->keepdims || !(mask & (1u << i)))
        o[j++] = k[i];
    }
  *kept = (CnnfiltShape) { k[0], k[1], k[2], k[3] };
  *out = (CnnfiltShape) { o[0], o[1], o[2], o[3] };
}

gboolean
reduce_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs, CnnfiltShape *output,
              GError **error)
{
  guint mask;
  CnnfiltShape kept;
  if (!reduce_mask (op, &mask, error))
    return FALSE;
  reduce_shapes (op, mask, &inputs[0], &kept, output);
  return TRUE;
}

/* Reads either layout; writes NCHW, or either where the two are the same
 * memory (one value per image and channel: squeeze-and-excitation's mean). */
CnnfiltLayoutSupport
reduce_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  guint mask;
  CnnfiltShape kept, out;
  if (!reduce_mask (op, &mask, NULL))
    return CNNFILT_LAYOUT_SUPPORT_NCHW;
  reduce_shapes (op, mask, &inputs[0], &kept, &out);
  return CNNFILT_LAYOUT_SUPPORT_INPUT |
         (out.h * out.w == 1 || out.c == 1 ? CNNFILT_LAYOUT_SUPPORT_OUTPUT : 0);
}

guint64
reduce_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
              const CnnfiltShape *output)
{
  return cnnfilt_shape_get_size (&inputs[0]); /* one fold per value read */
}

gboolean
reduce_window (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  guint mask;
  if (!reduce_mask (op, &mask, NULL) || !(mask & 0xc))
    return FALSE;
  return layer_window_global (op, window);
}

/* Strides of the four logical dims of @in in its memory, as its layout
 * holds them. */
static void
layout_strides (const CnnfiltShape *in, CnnfiltLayout layout, gsize strides[4])
{
  if (layout == CNNFILT_LAYOUT_NHWC)
    {
      strides[1] = 1;
      strides[3] = in->c;
      strides[2] = (gsize) in->w * in->c;
      strides[0] = (gsize) in->h * in->w * in->c;
    }
  else
    {
      strides[3] = 1;
      strides[2] = in->w;
      strides[1] = (gsize) in->h * in->w;
      strides[0] = (gsize) in->c * in->h * in->w;
    }
}

gboolean
reduce_run (CnnfiltOp *op, ReduceKind kind, CnnfiltTensor *input, CnnfiltTensor *output,
            GError **error)
{
  guint mask;
  CnnfiltShape in, kept, out;
  if (!reduce_mask (op, &mask, error))
    return FALSE;
  cnnfilt_tensor_get_shape (input, &in);
  reduce_shapes (op, mask, &in, &kept, &out);
  gsize s[4];
  layout_strides (&in, cnnfilt_tensor_get_layout (input), s);
  const guint d[4] = { in.n, in.c, in.h, in.w }, k[4] = { kept.n, kept.c, kept.h, kept.w };
  guint r[4];
  gsize count = 1;
  for (guint i = 0; i < 4; i++)
    count *= r[i] = mask & (1u << i) ? d[i] : 1;
  const gfloat *src = cnnfilt_tensor_get_data (input, NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  /* the output in the order of @kept is its memory in either layout: the
   * layouts only differ where the output has more than one value per pixel
   * and channels, which reduce_layouts never lets it write channels-last */
  gsize o = 0;
  for (guint a = 0; a < k[0]; a++)
    for (guint b = 0; b < k[1]; b++)
      for (guint c = 0; c < k[2]; c++)
        for (guint e = 0; e < k[3]; e++, o++)
          {
            const gfloat *base = src + a * s[0] + b * s[1] + c * s[2] + e * s[3];
            /* sums in double: a large plane summed in float loses digits */
            gdouble sum = 0;
            gfloat max = -INFINITY;
            for (guint i0 = 0; i0 < r[0]; i0++)
              for (guint i1 = 0; i1 < r[1]; i1++)
                for (guint i2 = 0; i2 < r[2]; i2++)
                  {
                    const gfloat *row = base + i0 * s[0] + i1 * s[1] + i2 * s[2];
                    for (guint i3 = 0; i3 < r[3]; i3++)
                      {
                        gfloat v = row[i3 * s[3]];
                        if (kind == REDUCE_MAX)
                          max = v > max || isnan (v) || isnan (max) ? (isnan (max) ? max : v) : max;
                        else
                          sum += v;
                      }
                  }
            dst[o] = kind == REDUCE_MAX ? max : kind == REDUCE_MEAN ? (gfloat) (sum / count)
                                                                   : (gfloat) sum;
          }
  return TRUE;
}

gboolean
reduce_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, ReduceKind kind,
               CnnfiltTensor *input, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/reduce.cl", error);
  guint mask;
  if (source == NULL || !reduce_mask (op, &mask, error))
    return FALSE;
  CnnfiltShape in, kept, out;
  cnnfilt_tensor_get_shape (input, &in);
  reduce_shapes (op, mask, &in, &kept, &out);
  gsize total = cnnfilt_shape_get_size (&kept);
  if (cnnfilt_shape_get_size (&in) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: more values than one OpenCL launch takes", cnnfilt_op_get_name (op));
      return FALSE;
    }
  const guint d[4] = { in.n, in.c, in.h, in.w };
  gint r[4];
  for (guint i = 0; i < 4; i++)
    r[i] = mask & (1u << i) ? (gint) d[i] : 1;
  g_autofree gchar *options = g_strdup_printf ("-DREDUCE_KIND=%d", kind);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (input), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (in.c), CNNFILT_KERNEL_INT (in.h), CNNFILT_KERNEL_INT (in.w),
    CNNFILT_KERNEL_INT (kept.c), CNNFILT_KERNEL_INT (kept.h), CNNFILT_KERNEL_INT (kept.w),
    CNNFILT_KERNEL_INT (r[0]), CNNFILT_KERNEL_INT (r[1]), CNNFILT_KERNEL_INT (r[2]),
    CNNFILT_KERNEL_INT (r[3]), CNNFILT_KERNEL_INT (total),
  };
  CnnfiltKernelLaunch launch = { source, options, "reduce", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}
