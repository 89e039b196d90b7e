/* broadcast.c: elementwise ops on two inputs whose shapes broadcast
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "broadcast.h"

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

void
layer_broadcast_apply (CnnfiltTensor *a, CnnfiltTensor *b, CnnfiltTensor *out, LayerRowFunc row,
                       gfloat clamp_min, gfloat clamp_max)
{
  gboolean clamp = clamp_min != -INFINITY || clamp_max != INFINITY;
  CnnfiltShape sa, sb, so;
  cnnfilt_tensor_get_shape (a, &sa);
  cnnfilt_tensor_get_shape (b, &sb);
  cnnfilt_tensor_get_shape (out, &so);
  const gfloat *pa = cnnfilt_tensor_get_data (a, NULL), *pb = cnnfilt_tensor_get_data (b, NULL);
  gfloat *po = cnnfilt_tensor_get_data (out, NULL);
  /* Strides of each input in the output's index space; 0 where it broadcasts. */
  const guint da[4] = { sa.n, sa.c, sa.h, sa.w }, db[4] = { sb.n, sb.c, sb.h, sb.w };
  gsize stra[4], strb[4], ea = 1, eb = 1;
  for (gint i = 3; i >= 0; i--)
    {
      stra[i] = da[i] == 1 ? 0 : ea;
      strb[i] = db[i] == 1 ? 0 : eb;
      ea *= da[i];
      eb *= db[i];
    }
  /* One thread: OpenMP here cost more in wake-ups than the loop takes
   * (bench/layers README, "Decisions"). */
  const gint64 planes = (gint64) so.n * so.c;
  const gsize plane = (gsize) so.h * so.w;
  for (gint64 p = 0; p < planes; p++)
    {
      guint n = p / so.c, c = p % so.c;
      gsize i = p * plane;
      for (guint y = 0; y < so.h; y++, i += so.w)
        {
          row (pa + n * stra[0] + c * stra[1] + y * stra[2], stra[3],
               pb + n * strb[0] + c * strb[1] + y * strb[2], strb[3], po + i, so.w);
          if (clamp)
            for (guint x = 0; x < so.w; x++)
              po[i + x] = po[i + x] < clamp_min ? clamp_min : po[i + x] > clamp_max ? clamp_max : po[i + x];
        }
    }
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
