/* broadcast.c: elementwise ops on two inputs whose shapes broadcast
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#include <math.h>

gboolean
layer_broadcast_shape (const CnnfiltShape *a, const CnnfiltShape *b, CnnfiltShape *out,
                       GError **error)
{
  const guint da[4] = { a->n, a->c, a->h, a->w }, db[4] = { b->n, b->c, b->h, b->w };
  guint d[4];
  for (guint i = 0; i < 4; i++)
    {
      if (da[i] != db[i] && da[i] != 1 && db[i] != 1)
        {
          static const gchar *names[] = { "n", "c", "h", "w" };
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "the inputs do not broadcast: dimension %s is %u and %u "
                       "(each must be equal or 1)", names[i], da[i], db[i]);
          return FALSE;
        }
      d[i] = MAX (da[i], db[i]);
    }
  out->n = d[0], out->c = d[1], out->h = d[2], out->w = d[3];
  return TRUE;
}

gboolean
layer_infer_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error)
{
  if (!layer_broadcast_shape (&inputs[0], &inputs[1], output, error))
    {
      g_prefix_error (error, "%s: ", cnnfilt_op_get_name (op));
      return FALSE;
    }
  return TRUE;
}

const guint *
layer_storage_order (CnnfiltLayout layout)
{
  static const guint nchw[4] = { 0, 1, 2, 3 }, nhwc[4] = { 0, 2, 3, 1 };
  return layout == CNNFILT_LAYOUT_NHWC ? nhwc : nchw;
}

void
layer_element_strides (CnnfiltTensor *t, gsize strides[4])
{
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (t, &s);
  const guint d[4] = { s.n, s.c, s.h, s.w };
  const guint *order = layer_storage_order (cnnfilt_tensor_get_layout (t));
  gsize extent = 1;
  for (gint k = 3; k >= 0; k--)
    {
      strides[order[k]] = d[order[k]] == 1 ? 0 : extent;
      extent *= d[order[k]];
    }
}

void
layer_broadcast_apply (CnnfiltTensor *a, CnnfiltTensor *b, CnnfiltTensor *out, LayerRowFunc row,
                       gfloat clamp_min, gfloat clamp_max, guint n_threads)
{
  gboolean clamp = clamp_min != -INFINITY || clamp_max != INFINITY;
  CnnfiltShape so;
  cnnfilt_tensor_get_shape (out, &so);
  const gfloat *pa = cnnfilt_tensor_get_data (a, NULL), *pb = cnnfilt_tensor_get_data (b, NULL);
  gfloat *po = cnnfilt_tensor_get_data (out, NULL);
  /* The output in the order it is stored, a row at a time along its
   * innermost dim (w, or c channels-last); each input read through its own
   * layout's steps, 0 where it broadcasts: a per-channel vector, stored the
   * same in both layouts, gives a row of c values for every pixel. */
  gsize sa[4], sb[4];
  layer_element_strides (a, sa);
  layer_element_strides (b, sb);
  const guint *o = layer_storage_order (cnnfilt_tensor_get_layout (out));
  /* in storage order, dims of 1 dropped and neighbours merged where both
   * inputs step over them alike (contiguous, or both broadcast): the rows
   * are as long as they can be (a ViT's residual add, 197×768 tokens
   * stored with a last dim of 1, ran one value a row) */
  const guint od[4] = { so.n, so.c, so.h, so.w };
  gsize d[4];
  gssize ra[4], rb[4];
  for (gint k = 0; k < 4; k++)
    {
      d[k] = od[o[k]];
      ra[k] = (gssize) sa[o[k]];
      rb[k] = (gssize) sb[o[k]];
    }
  layer_merge_dims (d, (gssize *const[]) { ra, rb }, 2);
  const gsize length = d[3], rows = d[0] * d[1] * d[2];
  /* the rows on threads for large tensors (a squeeze-and-excitation gate
   * on 112×112 maps) */
  const gboolean parallel = n_threads > 1 && rows > 1 && rows * length >= LAYER_PARALLEL_MIN_VALUES;
#pragma omp parallel for num_threads (n_threads) if (parallel) schedule (static)
  for (gsize r = 0; r < rows; r++)
    {
      const gsize x2 = r % d[2], x1 = r / d[2] % d[1], x0 = r / d[2] / d[1];
      gfloat *to = po + r * length;
      row (pa + x0 * ra[0] + x1 * ra[1] + x2 * ra[2], (gsize) ra[3],
           pb + x0 * rb[0] + x1 * rb[1] + x2 * rb[2], (gsize) rb[3], to, length);
      if (clamp)
        for (gsize x = 0; x < length; x++)
          to[x] = to[x] < clamp_min ? clamp_min : to[x] > clamp_max ? clamp_max : to[x];
    }
}

CnnfiltLayoutSupport
layer_layouts_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE;
}

/* Strides of @s in the output's index space: 0 where it broadcasts. */
static void
broadcast_strides (const CnnfiltShape *s, gint strides[4])
{
  const guint d[4] = { s->n, s->c, s->h, s->w };
  gint extent = 1;
  for (gint i = 3; i >= 0; i--)
    {
      strides[i] = d[i] == 1 ? 0 : extent;
      extent *= d[i];
    }
}

gboolean
layer_broadcast_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *a,
                        CnnfiltTensor *b, const CnnfiltShape *b_shape, CnnfiltTensor *out,
                        LayerBroadcastKind kind,
                        gfloat clamp_min, gfloat clamp_max, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/broadcast.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape sa, sb, so;
  cnnfilt_tensor_get_shape (a, &sa);
  if (b_shape != NULL)
    sb = *b_shape;
  else
    cnnfilt_tensor_get_shape (b, &sb);
  cnnfilt_tensor_get_shape (out, &so);
  gint stra[4], strb[4];
  broadcast_strides (&sa, stra);
  broadcast_strides (&sb, strb);
  g_autofree gchar *options = g_strdup_printf ("-DOP_KIND=%d", kind);
  gsize total = cnnfilt_shape_get_size (&so);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (a), CNNFILT_KERNEL_IN (b), CNNFILT_KERNEL_OUT (out),
    CNNFILT_KERNEL_INT (so.c), CNNFILT_KERNEL_INT (so.h), CNNFILT_KERNEL_INT (so.w),
    CNNFILT_KERNEL_INT (total), CNNFILT_KERNEL_INT (stra[0]), CNNFILT_KERNEL_INT (stra[1]),
    CNNFILT_KERNEL_INT (stra[2]), CNNFILT_KERNEL_INT (stra[3]), CNNFILT_KERNEL_INT (strb[0]),
    CNNFILT_KERNEL_INT (strb[1]), CNNFILT_KERNEL_INT (strb[2]), CNNFILT_KERNEL_INT (strb[3]),
    CNNFILT_KERNEL_FLOAT (clamp_min), CNNFILT_KERNEL_FLOAT (clamp_max),
  };
  CnnfiltKernelLaunch launch = { source, options, "broadcast", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}
